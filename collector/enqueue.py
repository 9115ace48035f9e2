"""Publishing one ``process_channel_job`` message per job, in batches on one connection."""

from __future__ import annotations

from collections.abc import Sequence

from celery import Celery

from .celery_app import TASK_NAME
from .logs import clip_input
from .store import NewJob

PUBLISH_BATCH_SIZE = 1000


def enqueue_jobs(app: Celery, queue: str, run_id: str, jobs: Sequence[NewJob]) -> None:
    """Send every job's task message; kombu pipelines the Redis writes of a batch."""
    with app.producer_or_acquire() as producer, producer.batch(max_size=PUBLISH_BATCH_SIZE):
        for job in jobs:
            app.send_task(
                TASK_NAME,
                kwargs={"run_id": run_id, "job_id": job.job_id, "identifier": job.identifier},
                # What Celery's logs and Flower show of the kwargs: the raw input clipped.
                kwargsrepr=repr(
                    {
                        "run_id": run_id,
                        "job_id": job.job_id,
                        "identifier": clip_input(job.identifier),
                    }
                ),
                queue=queue,
                producer=producer,
            )
