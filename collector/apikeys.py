"""The pool of YouTube API keys, and the daily quota ledger every worker shares.

A key is known outside this module only by its fingerprint. What is known about each key lives
in Redis, so that one worker's discovery holds for every worker at once:

- the ledger: units spent per project and per key (by API method) on each Pacific-time day,
  reserved before a call and given back when the API did not charge it;
- a project's ``exhausted`` flag (the API said quotaExceeded) until the next Pacific midnight,
  or its ``search_exhausted`` flag when only its search.list bucket is spent;
- a key's ``disabled`` marker (invalid, expired, API not enabled), for a day.

Keys labelled with the same project share one budget, as Google counts quota per project.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import redis

from .config import Settings
from .errors import NoUsableKeys, QuotaExhausted
from .keys import Keys

log = logging.getLogger(__name__)

PACIFIC = ZoneInfo("America/Los_Angeles")
DISABLED_KEY_RECHECK_SECONDS = 24 * 3600
SEARCH_METHOD = "search.list"
# Units per call; search.list's cost is a setting (Quota.search_cost).
METHOD_COSTS = {"channels.list": 1, "videos.list": 1, "playlistItems.list": 1}

# KEYS: per key, (disabled marker, project ledger, key ledger).
# ARGV: method, cost, searching ('1'/'0'), daily units, search calls a day, ledger ttl.
# Returns the 1-based index of the key reserved, -1 when every enabled key is spent, -2 when
# no key is enabled. The key with the most units left wins; a tie goes to the key that spent
# least today, so keys of one project share the load.
_ACQUIRE_LUA = """
local cost, searching = tonumber(ARGV[2]), ARGV[3] == '1'
local budget, search_calls, ttl = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local best, best_left, best_used, enabled = nil, -1, 0, false
for i = 1, #KEYS / 3 do
  if redis.call('EXISTS', KEYS[3 * i - 2]) == 0 then
    enabled = true
    local p = redis.call('HMGET', KEYS[3 * i - 1], 'units', 'searches', 'exhausted',
                         'search_exhausted')
    local left = budget - tonumber(p[1] or 0)
    local fits = not p[3] and left >= cost
    if searching then
      fits = fits and not p[4] and tonumber(p[2] or 0) < search_calls
    end
    if fits then
      local used = 0
      for _, units in ipairs(redis.call('HVALS', KEYS[3 * i])) do
        used = used + tonumber(units)
      end
      if left > best_left or (left == best_left and used < best_used) then
        best, best_left, best_used = i, left, used
      end
    end
  end
end
if not best then return enabled and -1 or -2 end
local project, key = KEYS[3 * best - 1], KEYS[3 * best]
redis.call('HINCRBY', project, 'units', cost)
if searching then redis.call('HINCRBY', project, 'searches', 1) end
redis.call('HINCRBY', key, ARGV[1], cost)
redis.call('EXPIRE', project, ttl)
redis.call('EXPIRE', key, ttl)
return best
"""


def fingerprint(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def pacific_day(now: datetime | None = None) -> str:
    """The quota day (YYYY-MM-DD in Pacific time) that ``now`` falls in."""
    return (now or datetime.now(PACIFIC)).astimezone(PACIFIC).date().isoformat()


def seconds_until_quota_reset(now: datetime | None = None) -> int:
    """Seconds until the next midnight in Pacific time, when YouTube resets daily quota."""
    now = (now or datetime.now(PACIFIC)).astimezone(PACIFIC)
    tomorrow = now.date() + timedelta(days=1)
    midnight = datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=PACIFIC)
    # In UTC: a difference within one zone is wall-clock time, wrong on the days of DST changes.
    return max(1, int((midnight.astimezone(UTC) - now.astimezone(UTC)).total_seconds()) + 1)


@dataclass(frozen=True)
class Quota:
    """What a project may spend a day, and what each API method costs."""

    daily_units: int = 10_000
    search_cost: int = 100
    search_daily_calls: int = 100

    @classmethod
    def from_settings(cls, settings: Settings) -> Quota:
        return cls(
            daily_units=settings.youtube_daily_quota,
            search_cost=settings.youtube_search_cost,
            search_daily_calls=settings.youtube_search_daily_calls,
        )

    def cost(self, method: str) -> int:
        return self.search_cost if method == SEARCH_METHOD else METHOD_COSTS[method]


@dataclass(frozen=True)
class ApiKey:
    value: str = field(repr=False)
    fingerprint: str
    project: str | None = None  # the operator's label; None: the key is its own project

    @classmethod
    def from_value(cls, value: str, project: str | None = None) -> ApiKey:
        return cls(value=value, fingerprint=fingerprint(value), project=project)

    @property
    def project_id(self) -> str:
        return f"label:{self.project}" if self.project else f"key:{self.fingerprint}"

    def __str__(self) -> str:
        project = f" (project {self.project})" if self.project else ""
        return f"key {self.fingerprint}{project}"


@dataclass(frozen=True)
class Lease:
    """Units reserved on one key for one call, in the ledger of the day they were reserved."""

    key: ApiKey
    method: str
    units: int
    project_ledger: str
    key_ledger: str


@dataclass(frozen=True)
class KeyState:
    """One key as ``collector keys`` shows it."""

    fingerprint: str
    project: str | None
    state: str  # usable, exhausted, search exhausted, disabled (reason)
    units_today: int  # spent through this key
    project_units_today: int  # spent through every key of its project
    units_left: int
    searches_today: int
    units_by_method: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class KeyPool:
    """Reserves quota on the key with the most left, and records keys that stop serving."""

    def __init__(
        self,
        values: Sequence[str],
        client: redis.Redis,
        keys: Keys,
        *,
        projects: Mapping[str, str] | None = None,
        quota: Quota | None = None,
    ) -> None:
        if not values:
            raise ValueError("the key pool needs at least one API key")
        projects = projects or {}
        self.keys = [
            ApiKey.from_value(value, projects.get(value)) for value in dict.fromkeys(values)
        ]
        self.quota = quota or Quota()
        self._redis = client
        self._redis_keys = keys
        self._acquire = client.register_script(_ACQUIRE_LUA)

    @classmethod
    def from_settings(cls, settings: Settings, client: redis.Redis) -> KeyPool:
        return cls(
            settings.require_api_keys(),
            client,
            Keys(settings.key_prefix),
            projects=dict(settings.youtube_key_projects),
            quota=Quota.from_settings(settings),
        )

    def announce(self) -> None:
        """Record each key's fingerprint and project, for ``announced`` in other processes."""
        self._redis.hset(
            self._redis_keys.api_keys_announced(),
            mapping={key.fingerprint: key.project or "" for key in self.keys},
        )

    @classmethod
    def announced(cls, settings: Settings, client: redis.Redis) -> KeyPool | None:
        """The keys workers announced, known by fingerprint only: to read their ``states`` in a
        process that holds no key (the HTTP API's metrics); None before any worker ran."""
        keys = Keys(settings.key_prefix)
        entries = cast(dict[str, str], client.hgetall(keys.api_keys_announced()))
        if not entries:
            return None
        pool = cls(list(entries), client, keys, quota=Quota.from_settings(settings))
        # No value: this pool can read the ledger, and can never send a request.
        pool.keys = [
            ApiKey("", fingerprint, label or None) for fingerprint, label in entries.items()
        ]
        return pool

    def acquire(self, method: str) -> Lease:
        """Reserve the call's units on the best key, or raise the error that says why none."""
        cost = self.quota.cost(method)
        day = pacific_day()
        ledgers = [self._ledgers(day, key) for key in self.keys]
        script_keys: list[str] = []
        for key, (project_ledger, key_ledger) in zip(self.keys, ledgers, strict=True):
            disabled = self._redis_keys.api_key_disabled(key.fingerprint)
            script_keys += [disabled, project_ledger, key_ledger]
        ttl = seconds_until_quota_reset() + 24 * 3600  # kept a day for `collector keys`
        args: list[str | int] = [
            method,
            cost,
            int(method == SEARCH_METHOD),
            self.quota.daily_units,
            self.quota.search_daily_calls,
            ttl,
        ]
        chosen = int(cast(int, self._acquire(keys=script_keys, args=args)))
        if chosen == -2:
            raise NoUsableKeys("every configured YouTube API key is invalid or disabled")
        if chosen == -1:
            raise QuotaExhausted(
                f"every usable YouTube API key has spent today's quota for {method}; it resets "
                f"at midnight Pacific time, in {seconds_until_quota_reset()} s"
            )
        key = self.keys[chosen - 1]
        project_ledger, key_ledger = ledgers[chosen - 1]
        return Lease(key, method, cost, project_ledger, key_ledger)

    def refund(self, lease: Lease) -> None:
        """Give back the units of a call the API did not charge."""
        pipe = self._redis.pipeline(transaction=True)
        pipe.hincrby(lease.project_ledger, "units", -lease.units)
        if lease.method == SEARCH_METHOD:
            pipe.hincrby(lease.project_ledger, "searches", -1)
        pipe.hincrby(lease.key_ledger, lease.method, -lease.units)
        pipe.execute()

    def mark_exhausted(self, lease: Lease) -> None:
        """The API said the quota is spent: the key's project is skipped until the reset.

        A spent search.list bucket stops only search.list calls on that project.
        """
        searching = lease.method == SEARCH_METHOD
        flag = "search_exhausted" if searching else "exhausted"
        if self._redis.hsetnx(lease.project_ledger, flag, 1):
            spent = "search.list calls" if searching else "quota"
            log.warning(
                "%s has spent today's %s; every key of its project is skipped for it until "
                "the reset in %d s",
                lease.key,
                spent,
                seconds_until_quota_reset(),
            )

    def mark_unusable(self, key: ApiKey, reason: str) -> None:
        # Kept for a day, not for ever, so that a key an operator has fixed comes back by itself.
        marker = self._redis_keys.api_key_disabled(key.fingerprint)
        if self._redis.set(marker, reason, ex=DISABLED_KEY_RECHECK_SECONDS, nx=True):
            log.error("%s is unusable (%s); it is skipped by every worker", key, reason)

    def states(self) -> list[KeyState]:
        """Every key's state and today's spending, in configuration order."""
        day = pacific_day()
        pipe = self._redis.pipeline(transaction=False)
        for key in self.keys:
            project_ledger, key_ledger = self._ledgers(day, key)
            pipe.get(self._redis_keys.api_key_disabled(key.fingerprint))
            pipe.hgetall(project_ledger)
            pipe.hgetall(key_ledger)
        replies = pipe.execute()
        return [self._state(key, *replies[3 * i : 3 * i + 3]) for i, key in enumerate(self.keys)]

    def units_by_key(self) -> dict[str, dict[str, int]]:
        """Today's units per key fingerprint, by API method (methods with 0 units left out)."""
        return {
            state.fingerprint: {m: u for m, u in state.units_by_method.items() if u}
            for state in self.states()
        }

    def _state(
        self, key: ApiKey, disabled: str | None, project: dict[str, str], spent: dict[str, str]
    ) -> KeyState:
        project_units = int(project.get("units", 0))
        left = max(0, self.quota.daily_units - project_units)
        if disabled:
            state = f"disabled ({disabled})"
        elif project.get("exhausted") or left < min(METHOD_COSTS.values()):
            state = "exhausted"
        elif project.get("search_exhausted"):
            state = "search exhausted"
        else:
            state = "usable"
        by_method = {method: int(units) for method, units in spent.items()}
        return KeyState(
            fingerprint=key.fingerprint,
            project=key.project,
            state=state,
            units_today=sum(by_method.values()),
            project_units_today=project_units,
            units_left=left,
            searches_today=int(project.get("searches", 0)),
            units_by_method=by_method,
        )

    def _ledgers(self, day: str, key: ApiKey) -> tuple[str, str]:
        return (
            self._redis_keys.quota_project(day, key.project_id),
            self._redis_keys.quota_key(day, key.fingerprint),
        )
