"""Recovers jobs that a dead worker left behind.

A job's lease outlives its task's hard time limit, so a lease that has run out means its worker
is gone: the job is enqueued again (its next delivery takes it over and counts the attempt), or,
once it has used all its attempts, recorded FAILED ``worker_lost``. A PENDING job whose message
was lost with its worker is enqueued again too (``collector.stranded``). Every worker runs a
reaper periodically; a lock in Redis lets one of them act per interval.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from celery import Celery

from .config import Settings
from .enqueue import enqueue_jobs
from .models import JobStatus
from .periodic import PeriodicThread
from .store import NewJob, Store
from .stranded import StrandedJobs

log = logging.getLogger(__name__)

Enqueue = Callable[[str, str, str], None]  # (run_id, job_id, identifier)


@dataclass(frozen=True)
class ReapReport:
    requeued: int = 0
    failed: int = 0
    released: int = 0
    stranded: int = 0


class Reaper:
    def __init__(self, store: Store, enqueue: Enqueue, *, interval: int, queue: str) -> None:
        self.store = store
        self.enqueue = enqueue
        self.interval = interval
        self.owner = uuid.uuid4().hex
        self.stranded = StrandedJobs(store, queue, suspect_ttl=3 * interval)

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
        stranded = self.stranded.find()
        for run_id, job_id, identifier in stranded:
            self.enqueue(run_id, job_id, identifier)
            log.warning("job %s/%s was PENDING with no message; enqueued again", run_id, job_id)
        return ReapReport(requeued, failed, released, len(stranded))


def reaper_thread(app: Celery, settings: Settings, store: Store) -> PeriodicThread:
    """The worker's reaper."""

    def enqueue_again(run_id: str, job_id: str, identifier: str) -> None:
        enqueue_jobs(app, settings.queue, run_id, [NewJob(job_id=job_id, identifier=identifier)])

    reaper = Reaper(
        store, enqueue_again, interval=settings.reaper_interval_seconds, queue=settings.queue
    )
    return PeriodicThread("collector-reaper", reaper.interval, reaper.reap_once)
