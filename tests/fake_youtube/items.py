"""The fake's data model and the API resources built from it, in the shape of the samples.

Channel items follow ``channels.list_id_all_parts_topicDetails_status.json`` with today's
values (as in the newer channel samples): ``customUrl`` is ``"@" + handle.lower()`` (or a
legacy custom name without ``@``, or absent), counts are strings, ``subscriberCount`` is
truncated to 3 significant figures and absent when hidden, ``relatedPlaylists`` is
``{"likes": "", "uploads": "UU..."}`` (no watchHistory/watchLater), ``statistics`` has no
``commentCount``, and ``brandingSettings`` is the post-2020 form (``channel`` with
title/description/keywords/country, ``image.bannerExternalUrl``, no ``hints``). Keys with no
value (empty description in brandingSettings, empty keywords, no country, no topics) are
absent, as the real API leaves them out.

Video items follow ``videos.list_id_snippet_contentDetails_status_statistics.json`` minus
``dislikeCount`` (private since late 2021) plus ``status.madeForKids``; hidden like/comment
counts are absent keys. Playlist items follow ``playlistItems.list_uploads_UU_...json``;
search results follow ``search.list_type_channel.json`` plus today's ``publishTime``.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

CHANNEL_PARTS = frozenset(
    {
        "id",
        "snippet",
        "contentDetails",
        "statistics",
        "brandingSettings",
        "topicDetails",
        "status",
        "localizations",
    }
)
VIDEO_PARTS = frozenset(
    {
        "id",
        "snippet",
        "contentDetails",
        "statistics",
        "status",
        "player",
        "topicDetails",
        "recordingDetails",
        "liveStreamingDetails",
        "localizations",
        "paidProductPlacementDetails",
    }
)
PLAYLIST_ITEM_PARTS = frozenset({"id", "snippet", "contentDetails", "status"})
SEARCH_PARTS = frozenset({"id", "snippet"})

# Wikipedia topic category -> Freebase topic id (the pairs YouTube uses).
TOPIC_IDS = {
    "Entertainment": "/m/02jjt",
    "Technology": "/m/07c1v",
    "Lifestyle_(sociology)": "/m/019_rr",
    "Music": "/m/04rlf",
    "Video_game_culture": "/m/03hf_rm",
    "Sport": "/m/06ntj",
    "Society": "/m/098wr",
    "Food": "/m/02wbm",
    "Film": "/m/02vxn",
    "Knowledge": "/m/01k8wb",
    "Politics": "/m/05qt0",
    "Hobby": "/m/03glg",
    "Tourism": "/m/07bxq",
    "Vehicle": "/m/07yv9",
    "Health": "/m/0kt51",
    "Humour": "/m/09kqc",
}


@dataclass
class Channel:
    id: str
    title: str
    handle: str | None
    username: str | None
    custom_name: str | None
    subscriber_count: int
    hidden_subscriber_count: bool
    view_count: int
    video_count: int
    country: str | None
    description: str
    keywords: str
    topic_categories: list[str]
    uploads: bool
    page_style: str
    published_at: str
    default_language: str | None
    video_ids: list[str] = field(default_factory=list)  # uploads, newest first


@dataclass
class Video:
    id: str
    channel_id: str
    title: str
    description: str
    published_at: str
    duration: str
    view_count: int
    like_count: int | None
    comment_count: int | None
    live_broadcast_content: str
    made_for_kids: bool
    tags: list[str]
    category_id: str
    default_language: str | None
    removed: bool = False


def _digest(*parts: object) -> bytes:
    return hashlib.sha1(repr(parts).encode()).digest()


def etag(*parts: object) -> str:
    """A bare 27-character etag, like today's responses."""
    return base64.urlsafe_b64encode(_digest(*parts)).decode().rstrip("=")


def token(*parts: object, length: int = 40) -> str:
    return base64.urlsafe_b64encode(_digest(*parts) * 3).decode()[:length]


def channel_id_from(*parts: object) -> str:
    """A well-formed channel id (UC + 16 bytes in URL-safe base64, last char in [AQgw])."""
    return "UC" + base64.urlsafe_b64encode(_digest(*parts)[:16]).decode()[:22]


def uploads_id(channel_id: str) -> str:
    return "UU" + channel_id[2:]


def round_subscribers(n: int) -> int:
    """Public subscriber counts are truncated to 3 significant figures."""
    digits = len(str(abs(n)))
    if digits <= 3:
        return n
    factor = int(10 ** (digits - 3))
    return n // factor * factor


def channel_published_at(channel_id: str) -> str:
    seconds = int.from_bytes(_digest(channel_id)[:4], "big") % (17 * 365 * 86400)
    when = datetime(2006, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def custom_url(ch: Channel) -> str | None:
    if ch.handle:
        return "@" + ch.handle.lower()
    if ch.custom_name:
        return ch.custom_name.lower()
    return None


def _channel_thumbnails(ch: Channel) -> dict[str, dict[str, object]]:
    base = "https://yt3.ggpht.com/ytc/" + token("avatar", ch.id, length=44)
    return {
        name: {"url": f"{base}=s{size}-c-k-c0x00ffffff-no-rj", "width": size, "height": size}
        for name, size in (("default", 88), ("medium", 240), ("high", 800))
    }


def channel_item(ch: Channel, parts: AbstractSet[str], videos_known: int) -> dict[str, Any]:
    item: dict[str, object] = {
        "kind": "youtube#channel",
        "etag": etag("channel", ch.id, sorted(parts), ch.title, ch.subscriber_count),
        "id": ch.id,
    }
    if "snippet" in parts:
        snippet: dict[str, object] = {"title": ch.title, "description": ch.description}
        url = custom_url(ch)
        if url is not None:
            snippet["customUrl"] = url
        snippet["publishedAt"] = ch.published_at
        snippet["thumbnails"] = _channel_thumbnails(ch)
        if ch.default_language:
            snippet["defaultLanguage"] = ch.default_language
        snippet["localized"] = {"title": ch.title, "description": ch.description}
        if ch.country:
            snippet["country"] = ch.country
        item["snippet"] = snippet
    if "contentDetails" in parts:
        item["contentDetails"] = {"relatedPlaylists": {"likes": "", "uploads": uploads_id(ch.id)}}
    if "statistics" in parts:
        stats: dict[str, object] = {"viewCount": str(ch.view_count)}
        if not ch.hidden_subscriber_count:
            stats["subscriberCount"] = str(round_subscribers(ch.subscriber_count))
        stats["hiddenSubscriberCount"] = ch.hidden_subscriber_count
        stats["videoCount"] = str(max(ch.video_count, videos_known))
        item["statistics"] = stats
    if "topicDetails" in parts and ch.topic_categories:
        ids = []
        for url in ch.topic_categories:
            name = url.rsplit("/", 1)[-1]
            ids.append(TOPIC_IDS.get(name) or "/m/0" + token("topic", name, length=5).lower())
        item["topicDetails"] = {"topicIds": ids, "topicCategories": list(ch.topic_categories)}
    if "status" in parts:
        item["status"] = {
            "privacyStatus": "public",
            "isLinked": True,
            "longUploadsStatus": "longUploadsUnspecified",
        }
    if "brandingSettings" in parts:
        branding: dict[str, object] = {"title": ch.title}
        if ch.description:
            branding["description"] = ch.description
        if ch.keywords:
            branding["keywords"] = ch.keywords
        if ch.country:
            branding["country"] = ch.country
        banner = "https://yt3.googleusercontent.com/" + token("banner", ch.id, length=64)
        item["brandingSettings"] = {"channel": branding, "image": {"bannerExternalUrl": banner}}
    return item


def _video_thumbnails(video_id: str) -> dict[str, dict[str, object]]:
    sizes = (
        ("default", "default", 120, 90),
        ("medium", "mqdefault", 320, 180),
        ("high", "hqdefault", 480, 360),
        ("standard", "sddefault", 640, 480),
        ("maxres", "maxresdefault", 1280, 720),
    )
    return {
        name: {"url": f"https://i.ytimg.com/vi/{video_id}/{file}.jpg", "width": w, "height": h}
        for name, file, w, h in sizes
    }


def video_item(v: Video, channel_title: str, parts: AbstractSet[str]) -> dict[str, Any]:
    item: dict[str, object] = {
        "kind": "youtube#video",
        "etag": etag("video", v.id, sorted(parts), v.view_count),
        "id": v.id,
    }
    if "snippet" in parts:
        snippet: dict[str, object] = {
            "publishedAt": v.published_at,
            "channelId": v.channel_id,
            "title": v.title,
            "description": v.description,
            "thumbnails": _video_thumbnails(v.id),
            "channelTitle": channel_title,
        }
        if v.tags:
            snippet["tags"] = list(v.tags)
        snippet["categoryId"] = v.category_id
        snippet["liveBroadcastContent"] = v.live_broadcast_content
        if v.default_language:
            snippet["defaultLanguage"] = v.default_language
        snippet["localized"] = {"title": v.title, "description": v.description}
        if v.default_language:
            snippet["defaultAudioLanguage"] = v.default_language
        item["snippet"] = snippet
    if "contentDetails" in parts:
        item["contentDetails"] = {
            "duration": v.duration,
            "dimension": "2d",
            "definition": "hd",
            "caption": "false",
            "licensedContent": False,
            "projection": "rectangular",
        }
    if "status" in parts:
        item["status"] = {
            "uploadStatus": "processed",
            "privacyStatus": "public",
            "license": "youtube",
            "embeddable": True,
            "publicStatsViewable": True,
            "madeForKids": v.made_for_kids,
        }
    if "statistics" in parts:
        stats: dict[str, object] = {"viewCount": str(v.view_count)}
        if v.like_count is not None:
            stats["likeCount"] = str(v.like_count)
        stats["favoriteCount"] = "0"
        if v.comment_count is not None:
            stats["commentCount"] = str(v.comment_count)
        item["statistics"] = stats
    return item


def playlist_item(v: Video, ch: Channel, position: int, parts: AbstractSet[str]) -> dict[str, Any]:
    playlist_id = uploads_id(ch.id)
    item_id = base64.b64encode(f"{playlist_id}.{v.id}".encode()).decode()
    item: dict[str, object] = {
        "kind": "youtube#playlistItem",
        "etag": etag("playlistItem", item_id, sorted(parts), position),
        "id": item_id,
    }
    if "snippet" in parts:
        item["snippet"] = {
            "publishedAt": v.published_at,
            "channelId": ch.id,
            "title": v.title,
            "description": v.description,
            "thumbnails": _video_thumbnails(v.id),
            "channelTitle": ch.title,
            "playlistId": playlist_id,
            "position": position,
            "resourceId": {"kind": "youtube#video", "videoId": v.id},
            "videoOwnerChannelTitle": ch.title,
            "videoOwnerChannelId": ch.id,
        }
    if "contentDetails" in parts:
        item["contentDetails"] = {"videoId": v.id, "videoPublishedAt": v.published_at}
    if "status" in parts:
        item["status"] = {"privacyStatus": "public"}
    return item


def _search_description(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= 160:
        return text
    return text[:160].rsplit(" ", 1)[0] + " ..."


def search_item(ch: Channel, parts: AbstractSet[str]) -> dict[str, Any]:
    item: dict[str, object] = {
        "kind": "youtube#searchResult",
        "etag": etag("search", ch.id),
        "id": {"kind": "youtube#channel", "channelId": ch.id},
    }
    if "snippet" in parts:
        thumbs = _channel_thumbnails(ch)
        item["snippet"] = {
            "publishedAt": ch.published_at,
            "channelId": ch.id,
            "title": ch.title,
            "description": _search_description(ch.description),
            "thumbnails": {name: {"url": t["url"]} for name, t in thumbs.items()},
            "channelTitle": ch.title,
            "liveBroadcastContent": "none",
            "publishTime": ch.published_at,
        }
    return item
