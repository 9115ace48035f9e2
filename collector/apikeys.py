"""The pool of YouTube API keys, and what every worker knows about each of them.

A key is known outside this module only by its fingerprint. Its state is kept in Redis so that
one worker's discovery (quota spent, key invalid) holds for every worker at once.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import redis

from .errors import NoUsableKeys, QuotaExhausted
from .keys import Keys

log = logging.getLogger(__name__)

PACIFIC = ZoneInfo("America/Los_Angeles")
DISABLED_KEY_RECHECK_SECONDS = 24 * 3600


def fingerprint(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def seconds_until_quota_reset(now: datetime | None = None) -> int:
    """Seconds until the next midnight in Pacific time, when YouTube resets daily quota."""
    now = (now or datetime.now(PACIFIC)).astimezone(PACIFIC)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(1, int((midnight - now).total_seconds()) + 1)


@dataclass(frozen=True)
class ApiKey:
    value: str = field(repr=False)
    fingerprint: str

    @classmethod
    def from_value(cls, value: str) -> ApiKey:
        return cls(value=value, fingerprint=fingerprint(value))

    def __str__(self) -> str:
        return f"key {self.fingerprint}"


class KeyPool:
    """Hands out a usable key, round-robin, and records keys that stop being usable."""

    def __init__(self, values: tuple[str, ...], client: redis.Redis, keys: Keys) -> None:
        if not values:
            raise ValueError("the key pool needs at least one API key")
        self.keys = [ApiKey.from_value(value) for value in dict.fromkeys(values)]
        self._redis = client
        self._redis_keys = keys
        self._turn = itertools.count()
        self._lock = threading.Lock()

    def announce(self) -> None:
        """Record this pool's key fingerprints, so the metrics can list every key's state."""
        self._redis.sadd(
            self._redis_keys.api_key_fingerprints(), *(k.fingerprint for k in self.keys)
        )

    def pick(self) -> ApiKey:
        """A key that is neither disabled nor out of quota, or the error that says why none is."""
        pipe = self._redis.pipeline(transaction=False)
        for key in self.keys:
            pipe.exists(self._redis_keys.api_key_disabled(key.fingerprint))
            pipe.exists(self._redis_keys.api_key_exhausted(key.fingerprint))
        flags = pipe.execute()
        disabled, exhausted = flags[0::2], flags[1::2]
        usable = [k for k, d, e in zip(self.keys, disabled, exhausted, strict=True) if not (d or e)]
        if not usable:
            if all(disabled):
                raise NoUsableKeys("every configured YouTube API key is invalid or disabled")
            raise QuotaExhausted(
                "every usable YouTube API key has spent today's quota; it resets at midnight "
                "Pacific time"
            )
        with self._lock:
            turn = next(self._turn)
        return usable[turn % len(usable)]

    def mark_exhausted(self, key: ApiKey) -> None:
        ttl = seconds_until_quota_reset()
        if self._redis.set(
            self._redis_keys.api_key_exhausted(key.fingerprint), "1", ex=ttl, nx=True
        ):
            log.warning("%s has spent its quota; unused until the reset in %d s", key, ttl)

    def mark_unusable(self, key: ApiKey, reason: str) -> None:
        # Kept for a day, not for ever, so that a key an operator has fixed comes back by itself.
        marker = self._redis_keys.api_key_disabled(key.fingerprint)
        if self._redis.set(marker, reason, ex=DISABLED_KEY_RECHECK_SECONDS, nx=True):
            log.error("%s is unusable (%s); it is skipped by every worker", key, reason)
