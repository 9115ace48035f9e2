"""Prometheus metrics kept in Redis, so every worker process and replica adds to one count.

Counters live in one Redis hash (``Keys.metrics``). Job and run counters are incremented by the
same Lua step as the transition they count (``collector.store``), so a metric can neither miss
nor double-count a job. API calls are tallied by the YouTube client on the job's ``Spend`` and
added by the step that finishes (or parks) the job, in the same round trip: a worker killed in
the middle of a job loses the count of that job's calls, and never counts one twice. Any
process that can reach Redis serves the same figures (``GET /metrics`` on the HTTP API).

Fields of the hash:
    jobs|{status}|{error_code}   finished jobs ('' as error code for DONE)
    duration|{le}, duration_sum  job duration histogram (non-cumulative buckets)
    runs_created, runs_completed
    api_calls|{method}|{outcome}
    units|{key fingerprint}      quota units charged to each key
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import cast

import redis
from prometheus_client import CollectorRegistry
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.utils import floatToGoString

from .apikeys import KeyPool
from .config import Settings
from .keys import Keys
from .youtube import Spend

# Upper bounds (seconds) of the job duration histogram's buckets; +Inf is implied.
DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


def api_call_counts(spend: Spend) -> dict[str, int]:
    """The metrics hash fields that a job's API calls add to, and by how much."""
    counts = {f"api_calls|{method}|{outcome}": n for (method, outcome), n in spend.outcomes.items()}
    counts.update({f"units|{key}": units for key, units in spend.units_by_key.items()})
    return counts


def record_api_calls(client: redis.Redis, keys: Keys, spend: Spend) -> None:
    """Add the calls of work that is no job (``collector resolve``) to the metrics."""
    counts = api_call_counts(spend)
    if counts:
        pipe = client.pipeline(transaction=False)
        for name, amount in counts.items():
            pipe.hincrby(keys.metrics(), name, amount)
        pipe.execute()


class RedisMetrics:
    """A prometheus_client collector that reads every figure from Redis at scrape time."""

    def __init__(self, settings: Settings, client: redis.Redis) -> None:
        self._settings = settings
        self._redis = client
        self._keys = Keys(settings.key_prefix)

    def collect(self) -> Iterator[Metric]:
        pipe = self._redis.pipeline(transaction=False)
        pipe.hgetall(self._keys.metrics())
        pipe.zcard(self._keys.outbox())
        fields, outbox = pipe.execute()
        counts = {name: float(value) for name, value in cast(dict[str, str], fields).items()}
        yield from _jobs(counts)
        yield from _runs(counts)
        yield from _api_calls(counts)
        yield from self._api_keys()
        pending = GaugeMetricFamily(
            "collector_outbox_pending", "completion callbacks written and not yet published"
        )
        pending.add_metric([], float(outbox))
        yield pending

    def _api_keys(self) -> Iterator[Metric]:
        """Each key the workers announced, as ``collector keys`` shows it (no key needed)."""
        pool = KeyPool.announced(self._settings, self._redis)
        states = pool.states() if pool is not None else []
        exhausted = GaugeMetricFamily(
            "collector_api_key_exhausted",
            "1 while the key's project has spent today's quota (until the Pacific midnight)",
            labels=["key"],
        )
        left = GaugeMetricFamily(
            "collector_api_key_units_left",
            "units the key's project has left today",
            labels=["key"],
        )
        for state in states:
            exhausted.add_metric([state.fingerprint], float(state.state == "exhausted"))
            left.add_metric([state.fingerprint], float(state.units_left))
        total = GaugeMetricFamily("collector_api_keys_exhausted", "keys out of quota today")
        total.add_metric([], float(sum(state.state == "exhausted" for state in states)))
        yield from (exhausted, total, left)


def _jobs(counts: dict[str, float]) -> Iterator[Metric]:
    jobs = CounterMetricFamily(
        "collector_jobs", "jobs finished, by final status and error code",
        labels=["status", "error_code"],
    )  # fmt: skip
    for name, value in sorted(_fields(counts, "jobs")):
        status, code = name
        jobs.add_metric([status, code], value)
    yield jobs

    cumulative, buckets = 0.0, []
    for bound in (*DURATION_BUCKETS, float("inf")):
        label = "+Inf" if bound == float("inf") else f"{bound:g}"
        cumulative += counts.get(f"duration|{label}", 0.0)
        buckets.append((floatToGoString(bound), cumulative))  # type: ignore[no-untyped-call]
    yield HistogramMetricFamily(
        "collector_job_duration_seconds",
        "seconds a worker spent on a job it finished",
        buckets=buckets,
        sum_value=counts.get("duration_sum", 0.0),
    )


def _runs(counts: dict[str, float]) -> Iterator[Metric]:
    created, completed = counts.get("runs_created", 0.0), counts.get("runs_completed", 0.0)
    created_total = CounterMetricFamily("collector_runs_created", "runs created")
    created_total.add_metric([], created)
    completed_total = CounterMetricFamily("collector_runs_completed", "runs completed")
    completed_total.add_metric([], completed)
    in_flight = GaugeMetricFamily("collector_runs_in_flight", "runs created and not completed")
    in_flight.add_metric([], created - completed)
    yield from (created_total, completed_total, in_flight)


def _api_calls(counts: dict[str, float]) -> Iterator[Metric]:
    calls = CounterMetricFamily(
        "collector_api_calls", "YouTube API calls, by method and outcome",
        labels=["method", "outcome"],
    )  # fmt: skip
    for (method, outcome), value in sorted(_fields(counts, "api_calls")):
        calls.add_metric([method, outcome], value)
    units = CounterMetricFamily(
        "collector_quota_units", "quota units charged, by API key fingerprint", labels=["key"]
    )
    for (fingerprint,), value in sorted(_fields(counts, "units")):
        units.add_metric([fingerprint], value)
    yield calls
    yield units


def _fields(counts: dict[str, float], family: str) -> Iterator[tuple[tuple[str, ...], float]]:
    """The label values and count of every ``family|label|...`` field."""
    for name, value in counts.items():
        head, *labels = name.split("|")
        if head == family and labels:
            yield tuple(labels), value


def registry_for(settings: Settings, client: redis.Redis) -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(RedisMetrics(settings, client))
    return registry
