"""Celery tasks: thin wrappers that hand the work to ``collector.processing``."""

from __future__ import annotations

from .celery_app import TASK_NAME, app
from .outbox import OutboxPublisher
from .processing import process_job
from .runtime import get_runtime
from .store import FinishOutcome


@app.task(name=TASK_NAME)
def process_channel_job(*, run_id: str, job_id: str, identifier: str) -> str:
    runtime = get_runtime()
    park = runtime.settings.on_quota_exhausted == "wait"
    outcome = process_job(
        runtime.store, runtime.resolver, run_id, job_id, identifier, park_on_quota=park
    )
    if outcome == FinishOutcome.COMPLETED_RUN:
        # Sent now by the worker that completed the run; the outbox sweep covers a crash here.
        claim_seconds = runtime.settings.outbox_claim_seconds
        OutboxPublisher(runtime.store, app, claim_seconds=claim_seconds).publish(run_id)
    return outcome
