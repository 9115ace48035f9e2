"""One job, from its delivery to its recorded outcome. Nothing a job does escapes as a crash."""

from __future__ import annotations

import logging
import time

from celery.exceptions import SoftTimeLimitExceeded

from . import parking
from .errors import CollectorError, QuotaExhausted, UpstreamError
from .logs import clip_input
from .metrics import api_call_counts
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
    context = {"run_id": run_id, "job_id": job_id, "input": clip_input(identifier)}
    start = store.start_job(run_id, job_id, prefetch=resolver.prefetch_keys(identifier))
    if not start.outcome.should_process:
        log.info(
            "job %s/%s not processed: %s",
            run_id,
            job_id,
            start.outcome,
            extra={**context, "outcome": str(start.outcome)},
        )
        return str(start.outcome)

    began = time.monotonic()
    spend = Spend()
    writes = store.pipeline()  # the job's cache writes, sent with its outcome
    failure: CollectorError | None = None
    try:
        resolution = resolver.resolve(
            identifier,
            spend,
            run_id=run_id,
            job_id=job_id,
            writes=writes,
            prefetched=start.prefetched,
        )
    except QuotaExhausted as error:
        writes.execute()
        if park_on_quota and parking.park(store, run_id, job_id, identifier, spend):
            log.info(
                "job %s/%s parked until the quota reset: %s",
                run_id,
                job_id,
                error.message,
                extra={**context, "outcome": "parked", "units": spend.units},
            )
            return "parked"
        failure = error
    except CollectorError as error:
        failure = error
    except SoftTimeLimitExceeded:
        failure = UpstreamError("the job ran out of time waiting on the YouTube API")
    except Exception:
        log.exception("job %s/%s failed unexpectedly", run_id, job_id, extra=context)
        failure = CollectorError("unexpected error in the worker; see the worker log")
    duration = time.monotonic() - began
    if failure is None:
        channel = resolution.channel
        outcome = store.finish_job(
            run_id,
            job_id,
            JobStatus.DONE,
            channel_id=channel.channel_id,
            data={**channel.to_dict(), "resolution_confidence": resolution.confidence},
            route=resolution.route,
            units=resolution.units,
            duration=duration,
            metrics=api_call_counts(spend),
            writes=writes,
        )
        details = {"channel_id": channel.channel_id, "route": resolution.route}
    else:
        outcome = store.finish_job(
            run_id,
            job_id,
            JobStatus.FAILED,
            error=failure.as_record(),
            units=spend.units,
            duration=duration,
            metrics=api_call_counts(spend),
            writes=writes,
        )
        details = {"error_code": failure.code, "error": failure.message}
    status = JobStatus.DONE if failure is None else JobStatus.FAILED
    fields = {**context, **details, "status": str(status), "outcome": str(outcome),
              "units": spend.units, "calls": spend.calls, "attempt": start.attempts,
              "duration_ms": round(duration * 1000)}  # fmt: skip
    if outcome is FinishOutcome.IGNORED:
        # A duplicate delivery finished second: the first result stands.
        log.info("job %s/%s already terminal; dropped %s", run_id, job_id, status, extra=fields)
    else:
        log.info("job %s/%s %s", run_id, job_id, status, extra=fields)
    if outcome is FinishOutcome.COMPLETED_RUN:
        log.info("run %s COMPLETED", run_id, extra={"run_id": run_id})
    return str(outcome)
