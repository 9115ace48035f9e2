"""Accepting a run: its state, and one ``process_channel_job`` task message per job.

When the broker is the state Redis (the default), the run's state and its messages go to Redis
in one MULTI/EXEC: a run is accepted whole or not at all, and no worker can take a message
before its job exists. The messages are Celery's own: one is made by Celery
(``app.amqp.create_task_message``) as a template, and each job's copy varies only its task id,
keyword arguments and delivery tag, in the envelope kombu's Redis transport writes (tests hold
them to what kombu publishes, and a real worker runs them). That is several times faster than
publishing through kombu, whose per-message work is mostly the same for every message.

With any other broker the run is written first, then its messages are published through kombu,
batched on one connection.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any, cast
from urllib.parse import urlsplit

import redis
from celery import Celery
from kombu.utils import json as kombu_json

from .celery_app import TASK_NAME
from .config import Settings
from .logs import clip_input
from .store import NewJob, RunOptions, Store

# kombu's JSON, as its ``json`` serializer and its Redis transport use it.
dumps = cast(Callable[[object], str], kombu_json.dumps)
PUBLISH_BATCH_SIZE = 1000
# Values per LPUSH: one command per thousand messages rather than one per message.
LPUSH_CHUNK = 1000


def accept_run(
    store: Store,
    app: Celery,
    settings: Settings,
    run_id: str,
    identifiers: Sequence[str],
    options: RunOptions | None = None,
    *,
    retry_of: str | None = None,
) -> list[NewJob]:
    """Write the run and its PENDING jobs, and queue one task message per job; the jobs.

    Raises RunExists, writing nothing, when the options' idempotency key names a run.
    """
    if writes_messages_directly(app, settings):
        messages = TaskMessages(app, settings.queue)
        return store.write_run(
            run_id,
            identifiers,
            options,
            retry_of=retry_of,
            also=lambda pipe, jobs: push_task_messages(pipe, messages, run_id, jobs),
        )
    jobs = store.write_run(run_id, identifiers, options, retry_of=retry_of)
    enqueue_jobs(app, settings.queue, run_id, jobs)
    return jobs


def writes_messages_directly(app: Celery, settings: Settings) -> bool:
    """Whether the broker is our own Redis, used the way ``TaskMessages`` writes to it."""
    return (
        settings.effective_broker_url == settings.redis_url
        and urlsplit(settings.redis_url).scheme in ("redis", "rediss")
        and not (app.conf.broker_transport_options or {}).get("global_keyprefix")
        and app.conf.task_protocol == 2
    )


def push_task_messages(
    pipe: redis.client.Pipeline, messages: TaskMessages, run_id: str, jobs: Sequence[NewJob]
) -> None:
    """Queue the LPUSHes of every job's message on ``pipe``, in job order (FIFO for workers)."""
    encoded = messages.for_jobs(run_id, jobs)
    for start in range(0, len(jobs), LPUSH_CHUNK):
        chunk = [next(encoded) for _ in range(min(LPUSH_CHUNK, len(jobs) - start))]
        pipe.lpush(messages.queue, *chunk)


def enqueue_jobs(app: Celery, queue: str, run_id: str, jobs: Sequence[NewJob]) -> None:
    """Publish every job's message through kombu, which pipelines the writes of a batch."""
    with app.producer_or_acquire() as producer, producer.batch(max_size=PUBLISH_BATCH_SIZE):
        for job in jobs:
            app.send_task(
                TASK_NAME,
                kwargs=job_kwargs(run_id, job),
                kwargsrepr=shown_kwargs(run_id, job),
                queue=queue,
                producer=producer,
            )


def job_kwargs(run_id: str, job: NewJob) -> dict[str, str]:
    return {"run_id": run_id, "job_id": job.job_id, "identifier": job.identifier}


def shown_kwargs(run_id: str, job: NewJob) -> str:
    """What Celery's logs and Flower show of the kwargs: the raw input clipped."""
    return repr({**job_kwargs(run_id, job), "identifier": clip_input(job.identifier)})


class TaskMessages:
    """Celery protocol 2 task messages for one task and queue, in kombu's Redis envelope."""

    def __init__(self, app: Celery, queue: str, task_name: str = TASK_NAME) -> None:
        self.queue = queue
        template_id = str(uuid.uuid4())
        # What send_task passes for a task with no parent, no options and no result.
        headers, properties, body, _ = app.amqp.create_task_message(
            template_id,
            task_name,
            (),
            {},
            reply_to=app.thread_oid,
            create_sent_event=False,
            ignore_result=None,
            replaced_task_nesting=0,
        )
        self._headers = headers
        self._embed = body[2]
        self._properties = {
            **properties,
            "delivery_mode": 2,  # persistent, kombu's default
            "delivery_info": {"exchange": "", "routing_key": queue},
            "priority": 0,
            "body_encoding": "base64",
        }

    def message(self, task_id: str, kwargs: dict[str, Any], kwargsrepr: str) -> str:
        """The JSON kombu LPUSHes for ``send_task(name, kwargs=..., kwargsrepr=...)``."""
        body = dumps(((), kwargs, self._embed))
        envelope = {
            "body": base64.b64encode(body.encode()).decode(),
            "content-encoding": "utf-8",
            "content-type": "application/json",
            "headers": {
                **self._headers,
                "id": task_id,
                "root_id": task_id,
                "kwargsrepr": kwargsrepr,
            },
            "properties": {
                **self._properties,
                "correlation_id": task_id,
                # send_task copies its kwargsrepr option into the properties too.
                "kwargsrepr": kwargsrepr,
                "delivery_tag": str(uuid.uuid4()),
            },
        }
        return dumps(envelope)

    def for_jobs(self, run_id: str, jobs: Sequence[NewJob]) -> Iterator[str]:
        for job in jobs:
            kwargs = job_kwargs(run_id, job)
            yield self.message(str(uuid.uuid4()), kwargs, shown_kwargs(run_id, job))
