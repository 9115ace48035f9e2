"""Run events: every job transition and run completion, as Redis Stream entries.

The store's Lua steps write them, each in the step that makes the transition, to the run's
stream and to a global one. This module turns stream entries into ``Event`` records and reads
a run's stream, blocking until new entries arrive.

    run.created    status RUNNING, total
    job.started    job_id, status PROCESSING, attempt (2 and up: a redelivery took it over)
    job.parked     job_id, status PENDING, parked_until: out of quota, it waits for the reset
    job.finished   job_id, status DONE | FAILED, channel_id, error (its code), units
    run.completed  status COMPLETED, total, done, failed, units; always the run's last event
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, cast

import redis

from .keys import Keys

RUN_CREATED = "run.created"
JOB_STARTED = "job.started"
JOB_PARKED = "job.parked"
JOB_FINISHED = "job.finished"
RUN_COMPLETED = "run.completed"

# The start of a stream: read from here to get every event still kept.
FIRST_ID = "0-0"

_NUMBERS = ("attempt", "units", "total", "done", "failed")


@dataclass(frozen=True)
class Event:
    id: str  # the stream entry id: pass it back as ``last_id`` to resume after this event
    type: str
    run_id: str
    ts: str
    job_id: str | None = None
    status: str | None = None
    channel_id: str | None = None
    error: str | None = None  # the job's error code
    attempt: int | None = None
    units: int | None = None
    total: int | None = None
    done: int | None = None
    failed: int | None = None
    parked_until: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_event(entry_id: str, fields: dict[str, str]) -> Event:
    values: dict[str, Any] = {name: fields.get(name) for name in Event.__dataclass_fields__}
    for name in _NUMBERS:
        if values[name] is not None:
            values[name] = int(values[name])
    values["id"] = entry_id
    return Event(**values)


def parse_read(reply: Sequence[Any] | None) -> list[Event]:
    """The events of an XREAD reply on one stream (None or empty when nothing came)."""
    if not reply:
        return []
    _stream, entries = reply[0]
    return [parse_event(entry_id, fields) for entry_id, fields in entries]


class EventReader:
    """Reads one run's stream over a Redis client that decodes responses."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self._redis = client
        self._keys = keys

    def read(
        self, run_id: str, after: str, *, block: float | None = None, count: int = 500
    ) -> list[Event]:
        """Up to ``count`` events after ``after``, waiting up to ``block`` s for one to come."""
        reply = self._redis.xread(
            {self._keys.run_events(run_id): after},
            count=count,
            block=None if block is None else max(1, int(block * 1000)),
        )
        return parse_read(cast(Sequence[Any] | None, reply))

    def latest_id(self, run_id: str) -> str:
        """The id of the run's newest event, or FIRST_ID when it has none."""
        newest = cast(list[Any], self._redis.xrevrange(self._keys.run_events(run_id), count=1))
        return str(newest[0][0]) if newest else FIRST_ID
