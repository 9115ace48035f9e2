"""The Celery app, started as ``celery -A collector.celery_app worker -Q collector``."""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery, bootsteps, signals

from . import logs
from .config import ConfigError, Settings, get_settings
from .reaper import Reaper, ReaperThread
from .runtime import make_store, redis_client, reset_runtime
from .store import NewJob

log = logging.getLogger(__name__)

TASK_NAME = "process_channel_job"


def make_celery(settings: Settings) -> Celery:
    app = Celery("collector", broker=settings.effective_broker_url, include=["collector.tasks"])
    app.conf.update(
        accept_content=["json"],
        task_serializer="json",
        result_serializer="json",
        # Our own state lives in Redis under collector:*; Celery keeps no results.
        task_ignore_result=True,
        result_backend=None,
        task_default_queue=settings.queue,
        task_routes={TASK_NAME: {"queue": settings.queue}},
        # A message is acknowledged only once its job is recorded, and handed back if the
        # process running it dies, so no job is lost with its worker.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        # An unacknowledged message (its worker died) is delivered again once the visibility
        # timeout has passed, found by a sweep every unacked_restore_interval seconds.
        broker_transport_options={
            "visibility_timeout": settings.visibility_timeout,
            "unacked_restore_interval": settings.unacked_restore_interval,
            "unacked_restore_throttle": 1,
        },
        task_soft_time_limit=settings.task_soft_time_limit,
        task_time_limit=settings.task_time_limit,
        worker_hijack_root_logger=True,
        # Task events, so Flower (and `celery events`) can show what every worker is doing.
        worker_send_task_events=True,
        task_send_sent_event=True,
    )
    app.steps["worker"].add(OutboxSweep)
    return app


class OutboxSweep(bootsteps.StartStopStep):  # type: ignore[misc]
    """Every COLLECTOR_OUTBOX_INTERVAL s, publishes completion callbacks left unsent."""

    requires = ("celery.worker.components:Timer",)

    def __init__(self, worker: Any, **kwargs: Any) -> None:
        super().__init__(worker, **kwargs)
        self.timer_ref: Any = None

    def start(self, worker: Any) -> None:
        from .outbox import OutboxPublisher

        settings = get_settings()
        store = make_store(settings, redis_client(settings, max_connections=2))
        publisher = OutboxPublisher(store, worker.app, claim_seconds=settings.outbox_claim_seconds)

        def sweep() -> None:
            try:
                publisher.publish_due()
            except Exception:
                log.exception("outbox sweep failed; the next one retries")

        self.timer_ref = worker.timer.call_repeatedly(settings.outbox_interval, sweep, priority=10)

    def stop(self, worker: Any) -> None:
        if self.timer_ref is not None:
            self.timer_ref.cancel()


app = make_celery(get_settings())


@signals.worker_init.connect
def _check_configuration(**_: Any) -> None:
    # Fail at start-up with one clear line rather than on every job.
    try:
        get_settings().require_api_keys()
    except ConfigError as error:
        raise SystemExit(f"collector: {error}") from None


@signals.after_setup_logger.connect
@signals.after_setup_task_logger.connect
def _configure_logs(logger: logging.Logger, **_: Any) -> None:
    settings = get_settings()
    logs.configure_handlers(logger.handlers, settings.youtube_api_keys, settings.log_format)


@signals.worker_process_init.connect
def _forget_parent_connections(**_: Any) -> None:
    reset_runtime()


_reaper_thread: ReaperThread | None = None


@signals.worker_ready.connect
def _start_reaper(**_: Any) -> None:
    """Runs in the worker's main process, beside whatever pool it uses."""
    global _reaper_thread
    from .enqueue import enqueue_jobs

    settings = get_settings()

    def enqueue_again(run_id: str, job_id: str, identifier: str) -> None:
        enqueue_jobs(app, settings.queue, run_id, [NewJob(job_id=job_id, identifier=identifier)])

    store = make_store(settings, redis_client(settings, max_connections=4))
    _reaper_thread = ReaperThread(
        Reaper(store, enqueue_again, interval=settings.reaper_interval_seconds)
    )
    _reaper_thread.start()


@signals.worker_shutdown.connect
def _stop_reaper(**_: Any) -> None:
    if _reaper_thread is not None:
        _reaper_thread.stop()
