"""A channels.list item, as the API sends it, turned into ``ChannelData``."""

from __future__ import annotations

from typing import Any

from .errors import UpstreamError
from .models import ChannelData


def parse_channel(item: dict[str, Any], fetched_at: str) -> ChannelData:
    """Typed channel data; a body that breaks the API's documented shape is an UpstreamError."""
    try:
        return _parse(item, fetched_at)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise UpstreamError(
            f"malformed channel in the API's answer ({type(exc).__name__})"
        ) from None


def _parse(item: dict[str, Any], fetched_at: str) -> ChannelData:
    channel_id = item["id"]
    if not isinstance(channel_id, str):
        raise TypeError("id")
    snippet = section(item, "snippet")
    statistics = section(item, "statistics")
    hidden = bool(statistics.get("hiddenSubscriberCount", False))
    branding = section(section(item, "brandingSettings"), "channel")
    uploads = section(section(item, "contentDetails"), "relatedPlaylists").get("uploads")
    return ChannelData(
        channel_id=channel_id,
        title=str(snippet.get("title", "")),
        description=str(snippet.get("description", "")),
        handle=text(snippet.get("customUrl")),
        published_at=text(snippet.get("publishedAt")),
        country=text(snippet.get("country")) or text(branding.get("country")),
        default_language=text(snippet.get("defaultLanguage")),
        thumbnail_url=_thumbnail(section(snippet, "thumbnails")),
        subscriber_count=None if hidden else count(statistics.get("subscriberCount")),
        hidden_subscriber_count=hidden,
        view_count=count(statistics.get("viewCount")),
        video_count=count(statistics.get("videoCount")),
        uploads_playlist_id=text(uploads),
        keywords=text(branding.get("keywords")),
        topic_categories=[
            str(url) for url in section(item, "topicDetails").get("topicCategories", [])
        ],
        fetched_at=fetched_at,
    )


def section(parent: dict[str, Any], name: str) -> dict[str, Any]:
    value = parent.get(name, {})
    if not isinstance(value, dict):
        raise TypeError(name)
    return value


def text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def count(value: Any) -> int | None:
    """The API sends counts as strings of digits; absent means not public."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError("count")
    return int(value)


def _thumbnail(thumbnails: dict[str, Any]) -> str | None:
    for size in ("high", "medium", "default"):
        url = (
            thumbnails.get(size, {}).get("url") if isinstance(thumbnails.get(size), dict) else None
        )
        if isinstance(url, str):
            return url
    return None
