"""One job, from its delivery to its recorded outcome. Nothing a job does escapes as a crash."""

from __future__ import annotations

import logging
import time

from celery.exceptions import SoftTimeLimitExceeded

from . import parking
from .errors import CollectorError, QuotaExhausted, UpstreamError
from .models import JobStatus
from .resolver import Resolver
from .store import FinishOutcome, Store
from .youtube import Spend

log = logging.getLogger(__name__)


def process_job(
    store: Store,
    resolver: Resolver,
    run_id: str,
    job_id: str,
    identifier: str,
    *,
    park_on_quota: bool = False,
) -> str:
    """Start, resolve and record one job; returns what happened, for the task's result.

    With ``park_on_quota``, a job that meets quota_exhausted waits for the reset instead.
    """
    start = store.start_job(run_id, job_id)
    if not start.outcome.should_process:
        log.info("job %s/%s not processed: %s", run_id, job_id, start.outcome)
        return str(start.outcome)

    began = time.monotonic()
    spend = Spend()
    try:
        resolution = resolver.resolve(identifier, spend)
    except QuotaExhausted as error:
        if park_on_quota and parking.park(store, run_id, job_id, identifier, spend.units):
            log.info("job %s/%s parked until the quota reset: %s", run_id, job_id, error.message)
            return "parked"
        outcome = _fail(store, run_id, job_id, error, spend)
    except CollectorError as error:
        outcome = _fail(store, run_id, job_id, error, spend)
    except SoftTimeLimitExceeded:
        timed_out = UpstreamError("the job ran out of time waiting on the YouTube API")
        outcome = _fail(store, run_id, job_id, timed_out, spend)
    except Exception:
        log.exception("job %s/%s failed unexpectedly", run_id, job_id)
        unexpected = CollectorError("unexpected error in the worker; see the worker log")
        outcome = _fail(store, run_id, job_id, unexpected, spend)
    else:
        channel = resolution.channel
        outcome = store.finish_job(
            run_id,
            job_id,
            JobStatus.DONE,
            channel_id=channel.channel_id,
            data=channel.to_dict(),
            route=resolution.route,
            units=resolution.units,
        )
        log.info(
            "job %s/%s DONE %s via %s, %d units, %.0f ms",
            run_id,
            job_id,
            channel.channel_id,
            resolution.route,
            resolution.units,
            (time.monotonic() - began) * 1000,
        )
    if outcome is FinishOutcome.COMPLETED_RUN:
        log.info("run %s COMPLETED", run_id)
    return str(outcome)


def _fail(
    store: Store, run_id: str, job_id: str, error: CollectorError, spend: Spend
) -> FinishOutcome:
    log.info("job %s/%s FAILED %s: %s", run_id, job_id, error.code, error.message)
    return store.finish_job(
        run_id, job_id, JobStatus.FAILED, error=error.as_record(), units=spend.units
    )
