"""Jobs that wait for the daily quota reset (``ON_QUOTA_EXHAUSTED=wait``).

A job that meets ``quota_exhausted`` goes back to PENDING and into a Redis sorted set scored by
the time of the reset. Every worker runs a small thread that, every few seconds, takes a lock
and enqueues the jobs that are due. Celery ETAs are not used: with the Redis broker a message
held past the visibility timeout is delivered again, and the reset is hours away.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections import defaultdict
from typing import cast

import redis
from celery import Celery

from .apikeys import seconds_until_quota_reset
from .config import Settings
from .enqueue import enqueue_jobs
from .keys import Keys
from .metrics import api_call_counts
from .periodic import PeriodicThread
from .store import NewJob, Store
from .youtube import Spend

log = logging.getLogger(__name__)

# Released this long after the Pacific midnight, so that a clock a little ahead of Google's
# does not wake jobs into a quota that has not been reset yet.
RESET_MARGIN_SECONDS = 300
RELEASE_BATCH = 500

# Deletes the lock only if it is still ours.
_UNLOCK_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def park(store: Store, run_id: str, job_id: str, identifier: str, spend: Spend) -> bool:
    """Park a PROCESSING job until just after the next quota reset."""
    release_at = time.time() + seconds_until_quota_reset() + RESET_MARGIN_SECONDS
    return store.park_job(
        run_id,
        job_id,
        identifier,
        release_at=release_at,
        units=spend.units,
        metrics=api_call_counts(spend),
    )


class ParkedJobs:
    """Enqueues the parked jobs that are due, one worker at a time."""

    def __init__(self, client: redis.Redis, keys: Keys, app: Celery, queue: str) -> None:
        self._redis = client
        self._keys = keys
        self._app = app
        self._queue = queue
        self._unlock = client.register_script(_UNLOCK_LUA)

    def release_due(self, now: float | None = None, lock_seconds: int = 60) -> int:
        """Enqueue the jobs due by ``now``; how many (0 while another worker holds the lock)."""
        lock, token = self._keys.parked_release_lock(), uuid.uuid4().hex
        if not self._redis.set(lock, token, nx=True, ex=lock_seconds):
            return 0
        until = time.time() if now is None else now
        released = 0
        try:
            while True:
                due = cast(
                    list[str],
                    self._redis.zrangebyscore(
                        self._keys.parked_jobs(), "-inf", until, 0, RELEASE_BATCH
                    ),
                )
                if not due:
                    return released
                self._enqueue(due)
                # Removed only once sent: a crash in between sends a job twice, and a job
                # already started or finished ignores a second message.
                self._redis.zrem(self._keys.parked_jobs(), *due)
                released += len(due)
        finally:
            self._unlock(keys=[lock], args=[token])
            if released:
                log.info("released %d parked jobs after the quota reset", released)

    def _enqueue(self, members: list[str]) -> None:
        by_run: dict[str, list[NewJob]] = defaultdict(list)
        for member in members:
            task = json.loads(member)
            by_run[task["run_id"]].append(NewJob(task["job_id"], task["identifier"]))
        for run_id, jobs in by_run.items():
            enqueue_jobs(self._app, self._queue, run_id, jobs)


def release_thread(app: Celery, settings: Settings, store: Store) -> PeriodicThread:
    """The worker's parked-job releaser."""
    parked = ParkedJobs(store.redis, store.keys, app, settings.queue)
    return PeriodicThread(
        "collector-parked-jobs", settings.parked_check_seconds, parked.release_due
    )
