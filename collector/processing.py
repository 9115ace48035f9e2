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
    failure: CollectorError
    try:
        resolution = resolver.resolve(identifier, spend, run_id=run_id, job_id=job_id)
    except QuotaExhausted as error:
        if park_on_quota and parking.park(store, run_id, job_id, identifier, spend.units):
            log.info("job %s/%s parked until the quota reset: %s", run_id, job_id, error.message)
            return "parked"
        failure = error
    except CollectorError as error:
        failure = error
    except SoftTimeLimitExceeded:
        failure = UpstreamError("the job ran out of time waiting on the YouTube API")
    except Exception:
        log.exception("job %s/%s failed unexpectedly", run_id, job_id)
        failure = CollectorError("unexpected error in the worker; see the worker log")
    else:
        channel = resolution.channel
        outcome = store.finish_job(
            run_id,
            job_id,
            JobStatus.DONE,
            channel_id=channel.channel_id,
            data={**channel.to_dict(), "resolution_confidence": resolution.confidence},
            route=resolution.route,
            units=resolution.units,
        )
        detail = f"{channel.channel_id} via {resolution.route}, {resolution.units} units"
        return _report(run_id, job_id, outcome, f"DONE {detail}", began)

    outcome = store.finish_job(
        run_id, job_id, JobStatus.FAILED, error=failure.as_record(), units=spend.units
    )
    return _report(run_id, job_id, outcome, f"FAILED {failure.code}: {failure.message}", began)


def _report(run_id: str, job_id: str, outcome: FinishOutcome, what: str, began: float) -> str:
    if outcome is FinishOutcome.IGNORED:
        # A duplicate delivery finished second: the first result stands.
        log.info("job %s/%s already terminal; dropped %s", run_id, job_id, what)
    else:
        elapsed_ms = (time.monotonic() - began) * 1000
        log.info("job %s/%s recorded %s (%.0f ms)", run_id, job_id, what, elapsed_ms)
    if outcome is FinishOutcome.COMPLETED_RUN:
        log.info("run %s COMPLETED", run_id)
    return str(outcome)
