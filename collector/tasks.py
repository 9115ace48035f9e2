"""Celery tasks: thin wrappers that hand the work to ``collector.processing``."""

from __future__ import annotations

from .celery_app import TASK_NAME, app
from .processing import process_job
from .runtime import get_runtime


@app.task(name=TASK_NAME)
def process_channel_job(*, run_id: str, job_id: str, identifier: str) -> str:
    runtime = get_runtime()
    park = runtime.settings.on_quota_exhausted == "wait"
    return process_job(
        runtime.store, runtime.resolver, run_id, job_id, identifier, park_on_quota=park
    )
