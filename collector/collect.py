"""Channel data by id: from the cache, or fetched once for every worker, in batches.

A job about to fetch a channel claims it, and claims with it up to 49 other channels of the
same run whose jobs are still PENDING and whose inputs are channel ids; one channels.list call
(and one uploads pass) fetches them all, and the cache hands their data to their jobs, which
then spend nothing. Results are matched by id, never by position. A job that finds a channel
claimed waits for its data instead of fetching it again.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from redis.client import Pipeline

from .cache import CLAIM_SECONDS, Cache
from .channels import parse_channel
from .errors import CollectorError, InvalidIdentifier, NotFound
from .identifiers import IdentifierKind, parse_identifier
from .models import ChannelData
from .store import utc_now
from .uploads import RecentUploads
from .youtube import MAX_IDS_PER_CALL, Spend, YouTubeClient, items_by_id

log = logging.getLogger(__name__)

PENDING_WINDOW = 250  # pending jobs read to fill a batch: room for a few workers at once
WAIT_POLL_SECONDS = 0.05

PendingInputs = Callable[[str, int], list[str]]  # (run_id, limit) -> inputs of PENDING jobs


@dataclass(frozen=True)
class Asker:
    """Who wants a channel: claims are held in its name, and its run's PENDING jobs may join."""

    holder: str
    run_id: str | None = None

    @classmethod
    def job(cls, run_id: str, job_id: str) -> Asker:
        return cls(f"{run_id}/{job_id}", run_id)

    @classmethod
    def anonymous(cls) -> Asker:
        return cls(uuid.uuid4().hex)


class ChannelCollector:
    def __init__(
        self,
        youtube: YouTubeClient,
        cache: Cache,
        uploads: RecentUploads,
        pending_inputs: PendingInputs | None = None,
    ) -> None:
        self.youtube = youtube
        self.cache = cache
        self.uploads = uploads
        self.pending_inputs = pending_inputs

    def by_id(self, channel_id: str, spend: Spend, asker: Asker) -> tuple[ChannelData, bool]:
        """The channel's data, and whether it came from the cache; NotFound if none."""
        # Claims expire, so waiting ends by itself; the deadline only guards against a
        # channel that other jobs keep claiming and failing to fetch.
        deadline = time.monotonic() + 2 * CLAIM_SECONDS
        while True:
            cached = self.cache.channel(channel_id)
            if cached.data is not None:
                return cached.data, True
            if cached.not_found:
                raise _not_found(channel_id)
            if cached.claimed_by in (None, asker.holder) and self.cache.claim(
                [channel_id], 1, asker.holder
            ):
                return self._fetch_claimed(channel_id, spend, asker), False
            if time.monotonic() > deadline:
                log.warning("channel %s claimed for too long; fetching it again", channel_id)
                return _data_or_raise(self.fetch([channel_id], spend)[channel_id]), False
            time.sleep(WAIT_POLL_SECONDS)

    def from_item(
        self, item: dict[str, Any], spend: Spend, writes: Pipeline | None = None
    ) -> ChannelData:
        """A channel that a lookup (forHandle, forUsername) answered with, completed.

        Its cache writes may wait on ``writes``, to go with the job's outcome: no job waits
        on a channel looked up this way, as one may on a claimed one.
        """
        channel = parse_channel(item, fetched_at=utc_now())
        if self.uploads.limit > 0:
            cached = self.cache.channel(channel.channel_id)
            if cached.data is not None:  # fresh enough, its recent uploads already read
                return cached.data
        outcome = self.uploads.add_to([channel], spend)[channel.channel_id]
        if isinstance(outcome, ChannelData):
            self.cache.store([outcome], pipe=writes)
        return _data_or_raise(outcome)

    def fetch(
        self, channel_ids: Sequence[str], spend: Spend
    ) -> dict[str, ChannelData | CollectorError]:
        """One channels.list for up to 50 ids, their recent uploads, all kept in the cache."""
        items = items_by_id(self.youtube.list_channels(spend, id=",".join(channel_ids)))
        fetched_at = utc_now()
        outcomes: dict[str, ChannelData | CollectorError] = {}
        parsed: list[ChannelData] = []
        for channel_id in channel_ids:
            item = items.get(channel_id)
            if item is None:
                outcomes[channel_id] = _not_found(channel_id)
                continue
            try:
                parsed.append(parse_channel(item, fetched_at))
            except CollectorError as error:
                outcomes[channel_id] = error
        outcomes.update(self.uploads.add_to(parsed, spend))
        self.cache.store(
            [o for o in outcomes.values() if isinstance(o, ChannelData)],
            not_found=[i for i, o in outcomes.items() if isinstance(o, NotFound)],
        )
        return outcomes

    def _fetch_claimed(self, channel_id: str, spend: Spend, asker: Asker) -> ChannelData:
        batch = [channel_id, *self._claim_companions(channel_id, asker)]
        try:
            outcomes = self.fetch(batch, spend)
        finally:
            self.cache.release(batch, asker.holder)
        if len(batch) > 1:
            log.info(
                "fetched channel %s with %d others of run %s",
                channel_id,
                len(batch) - 1,
                asker.run_id,
            )
        return _data_or_raise(outcomes[channel_id])

    def _claim_companions(self, channel_id: str, asker: Asker) -> list[str]:
        """Claim up to 49 other channel ids that PENDING jobs of the run are waiting for."""
        run_id = asker.run_id
        if run_id is None or self.pending_inputs is None or self.cache.data_max_age <= 0:
            return []
        candidates: dict[str, None] = {}
        for text in self.pending_inputs(run_id, PENDING_WINDOW):
            try:
                identifier = parse_identifier(text)
            except InvalidIdentifier:
                continue
            if identifier.kind is IdentifierKind.CHANNEL_ID and identifier.value != channel_id:
                candidates.setdefault(identifier.value, None)
        return self.cache.claim(list(candidates), MAX_IDS_PER_CALL - 1, asker.holder)


def _not_found(channel_id: str) -> NotFound:
    return NotFound(f"no YouTube channel has the id {channel_id!r}")


def _data_or_raise(outcome: ChannelData | CollectorError) -> ChannelData:
    if isinstance(outcome, CollectorError):
        raise outcome
    return outcome
