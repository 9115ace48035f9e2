"""From pasted text to a channel and its data, by the cheapest route for its kind.

A job's ``route`` is the steps it took, joined with "+": API calls such as
``channels.list:forHandle`` or ``videos.list``, ``page`` (a channel web page, 0 units), and
``resolution-cache`` / ``data-cache`` (0 units). The README's table gives each route's cost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from redis.client import Pipeline

from .cache import NOT_FOUND, Cache
from .collect import Asker, ChannelCollector
from .errors import InvalidIdentifier, NotFound
from .identifiers import Identifier, IdentifierKind, parse_identifier
from .models import ChannelData
from .webpage import ChannelPages
from .youtube import Spend, YouTubeClient, items_by_id

HIGH = "high"
LOW = "low"  # a search result whose handle or legacy custom URL equals the name


@dataclass(frozen=True)
class Resolution:
    channel: ChannelData
    route: str
    units: int
    confidence: str = HIGH


class Resolver:
    def __init__(
        self,
        youtube: YouTubeClient,
        collector: ChannelCollector,
        cache: Cache,
        pages: ChannelPages | None = None,  # None: RESOLVE_VIA_PAGE=false
        search: bool = False,  # ALLOW_SEARCH_FALLBACK
    ) -> None:
        self.youtube = youtube
        self.collector = collector
        self.cache = cache
        self.pages = pages
        self.search = search

    def resolve(
        self,
        text: str,
        spend: Spend | None = None,
        run_id: str | None = None,
        job_id: str | None = None,
        writes: Pipeline | None = None,
        prefetched: Mapping[str, str | None] | None = None,
    ) -> Resolution:
        """Raises a CollectorError (InvalidIdentifier, NotFound, ...) when it cannot.

        Cache writes that nothing waits for are queued on ``writes``, if given, for the
        caller to send with the job's outcome (one round trip, not one more); ``prefetched``
        holds what the caller read of ``prefetch_keys(text)``.
        """
        spend = spend if spend is not None else Spend()
        identifier = parse_identifier(text)
        asker = Asker.job(run_id, job_id) if run_id and job_id else Asker.anonymous()
        steps: list[str] = []
        job = _Job(spend, asker, steps, writes, prefetched)
        channel, confidence = self._resolve(identifier, job)
        return Resolution(channel, "+".join(steps), spend.units, confidence)

    def prefetch_keys(self, text: str) -> list[str]:
        """The cache keys that resolving ``text`` reads first, for a caller to read early."""
        try:
            identifier = parse_identifier(text)
        except InvalidIdentifier:
            return []
        if identifier.kind is IdentifierKind.CHANNEL_ID:
            return []  # its data is read with its claim, see ChannelCollector.by_id
        return [self.cache.resolution_key(identifier)]

    def _resolve(self, identifier: Identifier, job: _Job) -> tuple[ChannelData, str]:
        if identifier.kind is IdentifierKind.CHANNEL_ID:
            return self._by_id(identifier.value, job), HIGH
        cached = self.cache.resolved(identifier, job.prefetched)
        if cached is not None:
            job.steps.append("resolution-cache")
            if cached == NOT_FOUND:
                raise _not_found(identifier)
            channel_id, _, confidence = cached.partition(" ")
            return self._by_id(channel_id, job), confidence or HIGH
        try:
            channel, confidence = self._look_up(identifier, job)
        except NotFound:
            self.cache.remember_not_found(identifier, job.writes)
            raise
        self.cache.remember(identifier, channel, low_confidence=confidence == LOW, pipe=job.writes)
        return channel, confidence

    def _look_up(self, identifier: Identifier, job: _Job) -> tuple[ChannelData, str]:
        name = identifier.value
        match identifier.kind:
            case IdentifierKind.HANDLE:
                item = self._lookup(job, forHandle="@" + name)
            case IdentifierKind.USERNAME:
                item = self._lookup(job, forUsername=name)
                if item is None and _may_be_handle(name):
                    item = self._lookup(job, forHandle="@" + name)
            case IdentifierKind.CUSTOM_URL:
                return self._custom_url(identifier, job)
            case IdentifierKind.VIDEO:
                return self._by_id(self._video_channel(identifier, job), job), HIGH
        if item is None:
            raise _not_found(identifier)
        return self.collector.from_item(item, job.spend, job.writes), HIGH

    def _custom_url(self, identifier: Identifier, job: _Job) -> tuple[ChannelData, str]:
        name = identifier.value
        if self.pages is not None:
            job.steps.append("page")
            channel_id = self.pages.channel_id(name)
            if channel_id is not None:
                return self._by_id(channel_id, job), HIGH
        if _may_be_handle(name):
            item = self._lookup(job, forHandle="@" + name)
            if item is not None:
                return self.collector.from_item(item, job.spend, job.writes), HIGH
        if self.search:
            return self._search(identifier, job), LOW
        raise _not_found(identifier)

    def _search(self, identifier: Identifier, job: _Job) -> ChannelData:
        """Search by name; accept the one candidate whose handle or custom URL is the name."""
        job.steps.append("search.list")
        candidates = self.youtube.search_channels(job.spend, identifier.value)
        if not candidates:
            raise _not_found(identifier)
        job.steps.append("channels.list:id")
        items = self.youtube.list_channels(job.spend, id=",".join(candidates))
        wanted = {identifier.value.casefold(), "@" + identifier.value.casefold()}
        matches = [item for item in items if _custom_url(item).casefold() in wanted]
        if len(matches) != 1:
            raise _not_found(identifier)
        return self.collector.from_item(matches[0], job.spend, job.writes)

    def _video_channel(self, identifier: Identifier, job: _Job) -> str:
        job.steps.append("videos.list")
        items = self.youtube.list_videos(job.spend, [identifier.value], parts="snippet")
        snippet = items_by_id(items).get(identifier.value, {}).get("snippet")
        channel_id = snippet.get("channelId") if isinstance(snippet, dict) else None
        if not isinstance(channel_id, str):
            raise _not_found(identifier)
        return channel_id

    def _lookup(self, job: _Job, **lookup: str) -> dict[str, Any] | None:
        """channels.list by forHandle or forUsername: the channel it names, or None."""
        (name,) = lookup
        job.steps.append(f"channels.list:{name}")
        items = self.youtube.list_channels(job.spend, **lookup)
        return items[0] if items else None

    def _by_id(self, channel_id: str, job: _Job) -> ChannelData:
        channel, cached = self.collector.by_id(channel_id, job.spend, job.asker)
        job.steps.append("data-cache" if cached else "channels.list:id")
        return channel


@dataclass(frozen=True)
class _Job:
    """What one resolution carries along: its spend, who asks, the steps it took, where its
    cache writes wait (None: sent at once), and the cache values its caller read early."""

    spend: Spend
    asker: Asker
    steps: list[str]
    writes: Pipeline | None = None
    prefetched: Mapping[str, str | None] | None = None


def _may_be_handle(name: str) -> bool:
    # A custom or user name uses the handle's characters; only the length may rule it out.
    return 3 <= len(name) <= 30


def _custom_url(item: dict[str, Any]) -> str:
    snippet = item.get("snippet")
    url = snippet.get("customUrl") if isinstance(snippet, dict) else None
    return url if isinstance(url, str) else ""


def _not_found(identifier: Identifier) -> NotFound:
    kind = str(identifier.kind).replace("_", " ")
    return NotFound(f"no YouTube channel matches {kind} {identifier.value!r}")
