"""Finds PENDING jobs whose task message is gone, so that they can be enqueued again.

Kombu's Redis transport takes a message off the queue (BRPOP) and only then records it as
unacknowledged; a worker killed between the two loses the message, and its job would stay
PENDING for ever. So when the queue is empty, every PENDING job must have its message held by
some worker (in kombu's ``unacked`` hash) or be parked for the quota reset; any other is
stranded. A job must look stranded on two passes in a row, since a message being handed to a
worker, or a run being enqueued, is out of sight for a moment.
"""

from __future__ import annotations

import base64
import json
from typing import cast

from kombu.transport.redis import Channel

from .models import JobStatus
from .store import Store

UNACKED_KEY = Channel.unacked_key  # kombu's own key: no prefix of ours
RUNS_PER_PASS = 200
JOBS_PER_RUN = 1000


class StrandedJobs:
    def __init__(self, store: Store, queue: str, *, suspect_ttl: int) -> None:
        self.store = store
        self.queue = queue
        self.suspect_ttl = suspect_ttl

    def find(self) -> list[tuple[str, str, str]]:
        """(run_id, job_id, input) of the jobs stranded on this pass and the previous one."""
        redis, keys = self.store.redis, self.store.keys
        if redis.llen(self.queue):
            return []  # a PENDING job may simply be waiting its turn
        held = self._held_by_workers()
        suspects: dict[str, tuple[str, str, str]] = {}
        running = cast(set[str], redis.srandmember(keys.running_runs(), RUNS_PER_PASS) or [])
        for run_id in running:
            run = self.store.get_run(run_id)
            if run is None or run.is_complete:
                redis.srem(keys.running_runs(), run_id)
                continue
            pending = self.store.get_jobs(run_id, status=JobStatus.PENDING, limit=JOBS_PER_RUN)
            for job in pending:
                if (run_id, job.job_id) not in held and job.parked_until is None:
                    suspects[f"{run_id}:{job.job_id}"] = (run_id, job.job_id, job.input)
        previous = cast(set[str], redis.smembers(keys.stranded_suspects()))
        confirmed = [suspects.pop(member) for member in previous & suspects.keys()]
        pipe = redis.pipeline()
        pipe.delete(keys.stranded_suspects())
        if suspects:
            pipe.sadd(keys.stranded_suspects(), *suspects)
            pipe.expire(keys.stranded_suspects(), self.suspect_ttl)
        pipe.execute()
        return confirmed

    def _held_by_workers(self) -> set[tuple[str, str]]:
        held = set()
        for raw in cast(list[str], self.store.redis.hvals(UNACKED_KEY)):
            kwargs = _task_kwargs(raw)
            if kwargs is not None:
                held.add((str(kwargs.get("run_id")), str(kwargs.get("job_id"))))
        return held


def _task_kwargs(raw: str) -> dict[str, object] | None:
    """The kwargs of a task message as kombu stores it unacknowledged, or None."""
    try:
        message = json.loads(raw)[0]
        body = message["body"]
        if message["properties"].get("body_encoding") == "base64":
            body = base64.b64decode(body)
        kwargs = json.loads(body)[1]
    except (ValueError, LookupError, TypeError, AttributeError):
        return None
    return kwargs if isinstance(kwargs, dict) else None
