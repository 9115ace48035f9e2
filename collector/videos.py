"""videos.list and playlistItems.list items, as the API sends them, turned into our records."""

from __future__ import annotations

import re
from typing import Any

from .channels import count, section, text
from .errors import UpstreamError
from .models import RecentVideo

# ISO 8601 durations as YouTube writes them: PT4M13S, PT1H, P1DT2H3M, P0D (upcoming live).
_DURATION = re.compile(
    r"P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?"
)
_SECONDS = {"weeks": 604800, "days": 86400, "hours": 3600, "minutes": 60, "seconds": 1}


def duration_seconds(value: object) -> int | None:
    """Seconds in an ISO 8601 duration (``PT1H2M3S`` is 3723); None if it is not one."""
    if not isinstance(value, str):
        return None
    match = _DURATION.fullmatch(value)
    if match is None or value in ("P", "PT") or value.endswith("T"):
        return None
    return sum(int(n) * _SECONDS[unit] for unit, n in match.groupdict().items() if n)


def playlist_video_ids(items: list[dict[str, Any]]) -> list[str]:
    """The video ids of playlistItems.list items (contentDetails.videoId), in order, once each."""
    ids: dict[str, None] = {}
    for item in items:
        video_id = section(item, "contentDetails").get("videoId")
        if isinstance(video_id, str) and video_id:
            ids.setdefault(video_id, None)
    return list(ids)


def parse_video(item: dict[str, Any]) -> RecentVideo:
    """Typed video data; a body that breaks the API's documented shape is an UpstreamError."""
    try:
        return _parse(item)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise UpstreamError(f"malformed video in the API's answer ({type(exc).__name__})") from None


def _parse(item: dict[str, Any]) -> RecentVideo:
    video_id = item["id"]
    if not isinstance(video_id, str):
        raise TypeError("id")
    snippet = section(item, "snippet")
    statistics = section(item, "statistics")
    made_for_kids = section(item, "status").get("madeForKids")
    tags = snippet.get("tags", [])
    if not isinstance(tags, list):
        raise TypeError("tags")
    return RecentVideo(
        video_id=video_id,
        title=str(snippet.get("title", "")),
        published_at=text(snippet.get("publishedAt")),
        duration_seconds=duration_seconds(section(item, "contentDetails").get("duration")),
        view_count=count(statistics.get("viewCount")),
        like_count=count(statistics.get("likeCount")),
        comment_count=count(statistics.get("commentCount")),
        live_broadcast_content=text(snippet.get("liveBroadcastContent")),
        made_for_kids=made_for_kids if isinstance(made_for_kids, bool) else None,
        tags=[str(tag) for tag in tags],
        category_id=text(snippet.get("categoryId")),
        default_language=text(snippet.get("defaultLanguage")),
    )
