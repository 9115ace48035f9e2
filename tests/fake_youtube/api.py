"""The four YouTube Data API list methods the fake serves, over an in-memory ``Store``.

Each handler takes the query parameters (``dict[str, list[str]]``, repeated values joined
with commas as Google does) and returns ``(status, body)``. They never look at keys, quota
or faults; the server does that before calling them. Callers hold the server lock.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field

from . import samples
from .items import (
    CHANNEL_PARTS,
    PLAYLIST_ITEM_PARTS,
    SEARCH_PARTS,
    VIDEO_PARTS,
    Channel,
    Video,
    channel_item,
    etag,
    playlist_item,
    search_item,
    video_item,
)

Reply = tuple[int, bytes]
MAX_IDS = 50


def _param(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    return None if values is None else ",".join(values)


def _split(value: str) -> list[str]:
    seen: dict[str, None] = {}
    for part in value.split(","):
        if part.strip():
            seen.setdefault(part.strip(), None)
    return list(seen)


def _parts(params: dict[str, list[str]], allowed: frozenset[str]) -> frozenset[str] | Reply:
    raw = _param(params, "part")
    if raw is None or not raw.strip():
        return samples.required_part()
    names = _split(raw)
    for name in names:
        if name not in allowed:
            return samples.unknown_part(name)
    return frozenset(names)


def _max_results(params: dict[str, list[str]], default: int = 5) -> int | Reply:
    raw = _param(params, "maxResults")
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        return samples.invalid_max_results(raw)
    if not 0 <= value <= 50:
        return samples.invalid_max_results(raw)
    return value


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _read_varint(data: bytes) -> int:
    n = shift = 0
    for byte in data:
        n |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return n
    raise ValueError("truncated varint")


def playlist_token(offset: int, *, back: bool = False) -> str:
    """Opaque, in the recorded form (``EAAaBlBUOkNBSQ`` is offset 2)."""
    inner = b"PT:" + _b64(b"\x08" + _varint(offset)).encode()
    return _b64(b"\x10" + (b"\x01" if back else b"\x00") + b"\x1a" + bytes([len(inner)]) + inner)


def parse_playlist_token(text: str) -> int | None:
    try:
        data = _unb64(text)
        if data[:1] != b"\x10" or data[2:3] != b"\x1a" or data[4:7] != b"PT:":
            return None
        inner = _unb64(data[7 : 4 + data[3]].decode())
        return _read_varint(inner[1:]) if inner[:1] == b"\x08" else None
    except (ValueError, binascii.Error, UnicodeDecodeError, IndexError):
        return None


def search_token(offset: int, *, back: bool = False) -> str:
    """Opaque, in the recorded form (``CAUQAA`` is offset 5)."""
    return _b64(b"\x08" + _varint(offset) + (b"\x10\x01" if back else b"\x10\x00"))


def parse_search_token(text: str) -> int | None:
    try:
        data = _unb64(text)
        return _read_varint(data[1:]) if data[:1] == b"\x08" else None
    except (ValueError, binascii.Error):
        return None


def _not_request_order(found: list[str], requested: list[str]) -> list[str]:
    """Replies list items in their own order, never simply echoing the request's."""
    ordered = sorted(found, reverse=True)
    if len(ordered) > 1 and ordered == [i for i in requested if i in set(found)]:
        ordered.reverse()
    return ordered


@dataclass
class Store:
    channels: dict[str, Channel] = field(default_factory=dict)
    videos: dict[str, Video] = field(default_factory=dict)
    # Casefolded handle, and username -> channel id (the first added wins); built on the
    # first lookup after a change, so that a lookup among 100,000 channels is not a scan.
    _names: dict[str, dict[str, str]] | None = field(default=None, repr=False)

    def add_channel(self, ch: Channel) -> None:
        self.channels[ch.id] = ch
        self._names = None

    def _named(self, attribute: str, name: str) -> list[str]:
        """The id of the channel whose ``handle`` (or ``username``) is ``name``, caselessly."""
        names = self._names
        if names is None:
            names = {"handle": {}, "username": {}}
            for ch in self.channels.values():
                for field_name, index in names.items():
                    value = getattr(ch, field_name)
                    if value:
                        index.setdefault(value.casefold(), ch.id)
            self._names = names
        found = names[attribute].get(name)
        return [found] if found else []

    def video_count(self, ch: Channel) -> int:
        return sum(1 for vid in ch.video_ids if not self.videos[vid].removed)

    # -- channels.list -------------------------------------------------------------------

    def channels_list(self, params: dict[str, list[str]]) -> Reply:
        parts = _parts(params, CHANNEL_PARTS)
        if isinstance(parts, tuple):
            return parts
        per_page = _max_results(params)
        if isinstance(per_page, tuple):
            return per_page
        filters = [
            name
            for name in (
                "id",
                "forHandle",
                "forUsername",
                "mine",
                "managedByMe",
                "mySubscribers",
                "categoryId",
            )
            if name in params
        ]
        if not filters:
            return samples.missing_filter("channels.list", "")
        if len(filters) > 1:
            return samples.incompatible(filters)
        name, value = filters[0], _param(params, filters[0]) or ""
        found: list[str] = []
        if name == "id":
            requested = _split(value)
            if len(requested) > MAX_IDS:
                return samples.too_many_ids()
            hits = [i for i in requested if i in self.channels]
            found = _not_request_order(hits, requested)
        elif name == "forHandle":
            found = self._named("handle", value.strip().removeprefix("@").casefold())
        elif name == "forUsername":
            found = self._named("username", value.strip().casefold())
        elif name in ("mine", "managedByMe", "mySubscribers"):
            return samples.login_required()
        items = [
            channel_item(self.channels[i], parts, self.video_count(self.channels[i])) for i in found
        ]
        body: dict[str, object] = {
            "kind": "youtube#channelListResponse",
            "etag": etag("channelList", found, sorted(parts)),
            "pageInfo": {"totalResults": len(items), "resultsPerPage": per_page},
        }
        if items:
            body["items"] = items
        return 200, samples.encode(body)

    # -- videos.list ---------------------------------------------------------------------

    def videos_list(self, params: dict[str, list[str]]) -> Reply:
        parts = _parts(params, VIDEO_PARTS)
        if isinstance(parts, tuple):
            return parts
        filters = [name for name in ("id", "chart", "myRating") if name in params]
        if not filters:
            return samples.missing_filter("videos.list", "chart, id, myRating")
        if len(filters) > 1:
            return samples.incompatible(filters)
        if filters[0] == "myRating":
            return samples.login_required()
        found: list[str] = []
        if filters[0] == "id":
            requested = _split(_param(params, "id") or "")
            if len(requested) > MAX_IDS:
                return samples.too_many_ids()
            live = self.videos
            hits = [i for i in requested if i in live and not live[i].removed]
            found = _not_request_order(hits, requested)
        items = []
        for vid in found:
            video = self.videos[vid]
            owner = self.channels.get(video.channel_id)
            items.append(video_item(video, owner.title if owner else "", parts))
        body = {
            "kind": "youtube#videoListResponse",
            "etag": etag("videoList", found, sorted(parts)),
            "items": items,
            "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)},
        }
        return 200, samples.encode(body)

    # -- playlistItems.list --------------------------------------------------------------

    def playlist_items_list(self, params: dict[str, list[str]]) -> Reply:
        parts = _parts(params, PLAYLIST_ITEM_PARTS)
        if isinstance(parts, tuple):
            return parts
        per_page = _max_results(params)
        if isinstance(per_page, tuple):
            return per_page
        filters = [name for name in ("id", "playlistId") if name in params]
        if not filters:
            return samples.missing_filter("playlistItems.list", "id, playlistId")
        if len(filters) > 1:
            return samples.incompatible(filters)
        if filters[0] == "id":
            return self._playlist_items_by_id(params, parts)
        playlist_id = (_param(params, "playlistId") or "").strip()
        channel = self.channels.get("UC" + playlist_id[2:]) if playlist_id[:2] == "UU" else None
        if channel is None or not channel.uploads:
            return samples.playlist_not_found()
        offset = 0
        raw_token = _param(params, "pageToken")
        if raw_token:
            parsed = parse_playlist_token(raw_token)
            if parsed is None:
                return samples.invalid_page_token()
            offset = parsed
        ids = channel.video_ids
        page = ids[offset : offset + per_page]
        body: dict[str, object] = {
            "kind": "youtube#playlistItemListResponse",
            "etag": etag("playlistItems", playlist_id, offset, per_page, len(ids)),
        }
        if offset + per_page < len(ids) and per_page:
            body["nextPageToken"] = playlist_token(offset + per_page)
        if offset > 0:
            body["prevPageToken"] = playlist_token(max(0, offset - per_page), back=True)
        body["items"] = [
            playlist_item(self.videos[vid], channel, offset + n, parts)
            for n, vid in enumerate(page)
        ]
        body["pageInfo"] = {"totalResults": len(ids), "resultsPerPage": per_page}
        return 200, samples.encode(body)

    def _playlist_items_by_id(self, params: dict[str, list[str]], parts: frozenset[str]) -> Reply:
        items = []
        for item_id in _split(_param(params, "id") or ""):
            try:
                playlist_id, _, video_id = base64.b64decode(item_id).decode().partition(".")
            except (ValueError, binascii.Error, UnicodeDecodeError):
                continue
            channel = self.channels.get("UC" + playlist_id[2:])
            if channel and channel.uploads and video_id in channel.video_ids:
                position = channel.video_ids.index(video_id)
                items.append(playlist_item(self.videos[video_id], channel, position, parts))
        body = {
            "kind": "youtube#playlistItemListResponse",
            "etag": etag("playlistItemsById", [i["id"] for i in items]),
            "items": items,
            "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)},
        }
        return 200, samples.encode(body)

    # -- search.list ---------------------------------------------------------------------

    def search_list(self, params: dict[str, list[str]]) -> Reply:
        parts = _parts(params, SEARCH_PARTS)
        if isinstance(parts, tuple):
            return parts
        per_page = _max_results(params)
        if isinstance(per_page, tuple):
            return per_page
        offset = 0
        raw_token = _param(params, "pageToken")
        if raw_token:
            parsed = parse_search_token(raw_token)
            if parsed is None:
                return samples.invalid_page_token()
            offset = parsed
        types = _split(_param(params, "type") or "channel,playlist,video")
        query = (_param(params, "q") or "").strip().casefold()
        bare = query.removeprefix("@")
        hits: list[Channel] = []
        if "channel" in types:
            for ch in self.channels.values():
                names = [ch.title.casefold()]
                names += [n.casefold() for n in (ch.handle, ch.custom_name) if n]
                if query in names[0] or any(bare in n for n in names[1:]):
                    hits.append(ch)
        page = hits[offset : offset + per_page]
        body: dict[str, object] = {
            "kind": "youtube#searchListResponse",
            "etag": etag("search", query, offset, per_page, [c.id for c in page]),
        }
        if offset + per_page < len(hits) and per_page:
            body["nextPageToken"] = search_token(offset + per_page)
        if offset > 0:
            body["prevPageToken"] = search_token(max(0, offset - per_page), back=True)
        body["regionCode"] = "US"
        body["pageInfo"] = {"totalResults": len(hits), "resultsPerPage": per_page}
        body["items"] = [search_item(ch, parts) for ch in page]
        return 200, samples.encode(body)
