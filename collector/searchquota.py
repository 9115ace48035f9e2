"""search.list's own small daily bucket of calls, counted apart from a key's units.

Since 2026-06-01 search.list draws on a separate bucket of about 100 calls a day per project.
Its ``quotaExceeded`` says nothing about the key's units, so it marks the key spent for
search only, and never as exhausted for the other methods (that is ``apikeys.KeyPool``'s job).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import redis

from .apikeys import ApiKey, seconds_until_quota_reset
from .keys import Keys

log = logging.getLogger(__name__)


class SearchBucket:
    """Which keys have spent today's search.list calls, shared by every worker."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self._redis = client
        self._keys = keys

    def unspent(self, candidates: Sequence[ApiKey]) -> list[ApiKey]:
        pipe = self._redis.pipeline(transaction=False)
        for key in candidates:
            pipe.exists(self._keys.api_key_search_spent(key.fingerprint))
        return [key for key, spent in zip(candidates, pipe.execute(), strict=True) if not spent]

    def mark_spent(self, key: ApiKey) -> None:
        ttl = seconds_until_quota_reset()
        marker = self._keys.api_key_search_spent(key.fingerprint)
        if self._redis.set(marker, "1", ex=ttl, nx=True):
            log.warning(
                "%s has spent its search.list calls; none until the reset in %d s", key, ttl
            )
