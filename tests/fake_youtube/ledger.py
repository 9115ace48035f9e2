"""Keys, per-project budgets, the request log and counters, and injected faults.

Not thread-safe on its own: ``FakeYouTube`` calls it with its lock held.
"""

from __future__ import annotations

import random
from collections import Counter, deque
from dataclasses import dataclass

COSTS = {"channels.list": 1, "videos.list": 1, "playlistItems.list": 1, "search.list": 100}
ERROR_FAULTS = (
    "500",
    "503",
    "429",
    "rateLimitExceeded",
    "userRateLimitExceeded",
    "quotaExceeded",
    "dailyLimitExceeded",
    "forbidden",
    "permissionDenied",
)
FAULT_KINDS = frozenset((*ERROR_FAULTS, "malformed", "truncated", "timeout", "reset"))
# key state -> the canned error its requests get (None: served normally)
KEY_STATES = {
    "valid": None,
    "invalid": "keyInvalid",
    "invalid_legacy": "keyInvalid_legacy",
    "disabled": "accessNotConfigured",
    "disabled_legacy": "accessNotConfigured_legacy",
}
LOG_MAXLEN = 200_000


@dataclass(frozen=True)
class RecordedRequest:
    method: str  # "channels.list", "videos.list", "playlistItems.list", "search.list", "page"
    path: str
    params: dict[str, list[str]]
    key: str | None
    status: int  # 0 when no reply was sent (timeout, reset)
    units: int
    time: float  # time.time() when the request arrived


@dataclass
class _Key:
    state: str
    project: tuple[str, str]


@dataclass
class _Project:
    budget: int = 10_000
    search_budget: int = 100
    spent: int = 0
    searches: int = 0


@dataclass
class _Fault:
    count: int
    kind: str
    method: str | None


def check_kind(kind: str) -> None:
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(FAULT_KINDS)}")


class Ledger:
    def __init__(self) -> None:
        self.keys: dict[str, _Key] = {}
        self.projects: dict[tuple[str, str], _Project] = {}
        self.units_by_key: dict[str, int] = {}
        self.units_by_method: Counter[str] = Counter()
        self.calls_by_method: Counter[str] = Counter()
        self.log: deque[RecordedRequest] = deque(maxlen=LOG_MAXLEN)
        self.faults: list[_Fault] = []
        self.chaos: list[tuple[str, float]] = []
        self.chaos_rng = random.Random(0)

    # -- keys --------------------------------------------------------------------------------

    def add_key(
        self,
        key: str,
        budget: int | None,
        state: str,
        project: str | None,
        search_budget: int | None,
    ) -> None:
        if state not in KEY_STATES:
            raise ValueError(f"state must be one of {sorted(KEY_STATES)}")
        pid = ("project", project) if project is not None else ("key", key)
        proj = self.projects.setdefault(pid, _Project())
        if budget is not None:
            proj.budget = budget
        if search_budget is not None:
            proj.search_budget = search_budget
        self.keys[key] = _Key(state, pid)
        self.units_by_key.setdefault(key, 0)

    def new_day(self) -> None:
        for proj in self.projects.values():
            proj.spent = proj.searches = 0

    def admit(self, method: str, key: str | None) -> str | None:
        """Check the key and the quota; charge the request if both pass.

        Returns the name of the canned error to answer with, or None (charged; serve it).
        """
        entry = self.keys.get(key) if key is not None else None
        if entry is None:
            return "keyInvalid"
        error = KEY_STATES[entry.state]
        if error is not None:
            return error
        proj, cost = self.projects[entry.project], COSTS[method]
        searching = method == "search.list"
        if proj.spent + cost > proj.budget or (searching and proj.searches >= proj.search_budget):
            return "quotaExceeded"
        proj.spent += cost
        proj.searches += searching
        assert key is not None
        self.units_by_key[key] = self.units_by_key.get(key, 0) + cost
        self.units_by_method[method] += cost
        return None

    def record(self, request: RecordedRequest) -> None:
        self.calls_by_method[request.method] += 1
        self.log.append(request)

    # -- faults ------------------------------------------------------------------------------

    def fail_next(self, count: int, kind: str, method: str | None) -> None:
        check_kind(kind)
        if method is not None and method not in COSTS:
            raise ValueError(f"method must be one of {sorted(COSTS)}")
        if count > 0:
            self.faults.append(_Fault(count, kind, method))

    def set_chaos(self, rates: dict[str, float], seed: int) -> None:
        for kind, rate in rates.items():
            check_kind(kind)
            if rate < 0:
                raise ValueError("chaos rates must be >= 0")
        if sum(rates.values()) > 1.0 + 1e-9:
            raise ValueError("chaos rates must add up to at most 1")
        self.chaos = list(rates.items())
        self.chaos_rng = random.Random(seed)

    def take_fault(self, method: str) -> str | None:
        """The fault this API request gets: queued ``fail_next`` first, else a chaos draw."""
        for fault in self.faults:
            if fault.method in (None, method):
                fault.count -= 1
                if fault.count <= 0:
                    self.faults.remove(fault)
                return fault.kind
        if self.chaos:
            draw, total = self.chaos_rng.random(), 0.0
            for kind, rate in self.chaos:
                total += rate
                if draw < total:
                    return kind
        return None
