"""A channel's most recent uploads, with their statistics, for channels fetched together.

Per channel, one playlistItems.list on its uploads playlist (1 unit); then videos.list for the
videos of every channel of the batch together, 50 ids a call (1 unit). What cannot be read
for a reason that retrying will not change (no uploads, a hidden or deleted playlist, videos
gone between the two calls) becomes a note on the channel, which still succeeds; a transient
failure fails only the channels it touched.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

from .errors import ApiRequestRejected, CollectorError
from .models import ChannelData, RecentVideo
from .videos import parse_video, playlist_video_ids
from .youtube import MAX_IDS_PER_CALL, Spend, YouTubeClient, items_by_id

PARALLEL_CALLS = 8  # playlistItems.list calls of one batch in flight at once

T = TypeVar("T")
R = TypeVar("R")
Outcome = ChannelData | CollectorError


@dataclass
class _Uploads:
    video_ids: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: CollectorError | None = None


class RecentUploads:
    def __init__(self, youtube: YouTubeClient, limit: int) -> None:
        self.youtube = youtube
        self.limit = limit

    def add_to(self, channels: Sequence[ChannelData], spend: Spend) -> dict[str, Outcome]:
        """Each channel with its ``recent_videos`` (and notes), or the error that stopped it."""
        if self.limit == 0:
            return {channel.channel_id: channel for channel in channels}
        uploads = dict(
            zip(
                (channel.channel_id for channel in channels),
                _in_parallel(self._playlist, channels, spend),
                strict=True,
            )
        )
        wanted = [vid for u in uploads.values() if u.error is None for vid in u.video_ids]
        chunks = [wanted[i : i + MAX_IDS_PER_CALL] for i in range(0, len(wanted), MAX_IDS_PER_CALL)]
        found: dict[str, RecentVideo | CollectorError] = {}
        failed: dict[str, CollectorError] = {}  # video id -> why its details are missing
        for chunk, answer in zip(chunks, _in_parallel(self._details, chunks, spend), strict=True):
            if isinstance(answer, CollectorError):
                failed.update(dict.fromkeys(chunk, answer))
            else:
                found.update(answer)
        return {
            channel.channel_id: _assemble(channel, uploads[channel.channel_id], found, failed)
            for channel in channels
        }

    def _playlist(self, channel: ChannelData, spend: Spend) -> _Uploads:
        if channel.uploads_playlist_id is None:
            return _Uploads(notes=["recent uploads not collected: the channel has no uploads list"])
        if channel.video_count == 0:  # nothing to list: save the call
            return _Uploads(notes=["the channel has no public uploads"])
        try:
            items = self.youtube.list_playlist_items(spend, channel.uploads_playlist_id, self.limit)
        except ApiRequestRejected as error:  # 404 playlistNotFound: hidden or deleted
            note = f"recent uploads not collected: the uploads list cannot be read ({error})"
            return _Uploads(notes=[note])
        except CollectorError as error:
            return _Uploads(error=error)
        video_ids = playlist_video_ids(items)[: self.limit]
        return _Uploads(video_ids, notes=[] if video_ids else ["the channel has no public uploads"])

    def _details(
        self, chunk: list[str], spend: Spend
    ) -> dict[str, RecentVideo | CollectorError] | CollectorError:
        try:
            items = items_by_id(self.youtube.list_videos(spend, chunk))
        except CollectorError as error:
            return error
        details: dict[str, RecentVideo | CollectorError] = {}
        for video_id, item in items.items():
            try:
                details[video_id] = parse_video(item)
            except CollectorError as error:
                details[video_id] = error
        return details


def _assemble(
    channel: ChannelData,
    uploads: _Uploads,
    found: dict[str, RecentVideo | CollectorError],
    failed: dict[str, CollectorError],
) -> Outcome:
    if uploads.error is not None:
        return uploads.error
    videos: list[RecentVideo] = []
    notes = list(uploads.notes)
    vanished = 0
    for video_id in uploads.video_ids:
        detail = found.get(video_id) or failed.get(video_id)
        if detail is None:
            vanished += 1
        elif isinstance(detail, ApiRequestRejected):
            notes.append(f"details of recent uploads not collected ({detail})")
            break
        elif isinstance(detail, CollectorError):
            return detail
        else:
            videos.append(detail)
    if vanished:
        notes.append(
            f"{vanished} of {len(uploads.video_ids)} recent uploads were gone (deleted or made "
            "private) when their details were read"
        )
    return dataclasses.replace(channel, recent_videos=videos, notes=[*channel.notes, *notes])


def _in_parallel(work: Callable[[T, Spend], R], inputs: Iterable[T], spend: Spend) -> list[R]:
    """``work`` on each input, a few at a time; what each spent is added to ``spend``."""
    tasks = list(inputs)
    spends = [Spend() for _ in tasks]
    if len(tasks) <= 1:
        results = [work(task, part) for task, part in zip(tasks, spends, strict=True)]
    else:
        with ThreadPoolExecutor(max_workers=min(PARALLEL_CALLS, len(tasks))) as pool:
            results = list(pool.map(work, tasks, spends))
    for part in spends:
        spend.absorb(part)
    return results
