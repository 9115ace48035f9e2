"""Recovers jobs left PROCESSING by a worker that died without handing its message back.

A job's lease outlives its task's hard time limit, so a lease that has run out means its worker
is gone. Every worker runs a reaper thread; a lock in Redis lets one of them act per interval.
An expired job is enqueued again (its next delivery takes it over and counts the attempt), or,
once it has used all its attempts, recorded FAILED ``worker_lost``.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from .models import JobStatus
from .store import Store

log = logging.getLogger(__name__)

Enqueue = Callable[[str, str, str], None]  # (run_id, job_id, identifier)


@dataclass(frozen=True)
class ReapReport:
    requeued: int = 0
    failed: int = 0
    released: int = 0


class Reaper:
    def __init__(self, store: Store, enqueue: Enqueue, *, interval: int) -> None:
        self.store = store
        self.enqueue = enqueue
        self.interval = interval
        self.owner = uuid.uuid4().hex

    def reap_once(self) -> ReapReport:
        """One pass, if no other worker's reaper has acted within the interval."""
        lock = self.store.keys.reaper_lock()
        if not self.store.redis.set(lock, self.owner, nx=True, ex=self.interval):
            return ReapReport()
        requeued = failed = released = 0
        for run_id, job_id in self.store.claim_expired_leases():
            job = self.store.get_job(run_id, job_id)
            if job is None or job.status is not JobStatus.PROCESSING:
                self.store.drop_lease(run_id, job_id)
                released += 1
            elif job.attempts >= self.store.max_attempts:
                error = self.store.worker_lost_error().as_record()
                self.store.finish_job(run_id, job_id, JobStatus.FAILED, error=error)
                log.warning(
                    "job %s/%s FAILED worker_lost after %d attempts", run_id, job_id, job.attempts
                )
                failed += 1
            else:
                self.enqueue(run_id, job_id, job.input)
                log.warning("job %s/%s lease expired; enqueued again", run_id, job_id)
                requeued += 1
        return ReapReport(requeued, failed, released)


class ReaperThread(threading.Thread):
    """Runs ``reap_once`` every interval until stopped; an error only skips one pass."""

    def __init__(self, reaper: Reaper) -> None:
        super().__init__(name="collector-reaper", daemon=True)
        self.reaper = reaper
        self._stopped = threading.Event()

    def run(self) -> None:
        while not self._stopped.wait(self.reaper.interval):
            try:
                self.reaper.reap_once()
            except Exception:
                log.exception("reaper pass failed; trying again in %d s", self.reaper.interval)

    def stop(self) -> None:
        self._stopped.set()
