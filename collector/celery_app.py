"""The Celery app, started as ``celery -A collector.celery_app worker -Q collector``."""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery, signals

from . import logs
from .config import ConfigError, Settings, get_settings
from .periodic import PeriodicThread
from .runtime import (
    connections_for,
    get_runtime,
    make_store,
    redis_client,
    reset_runtime,
    set_concurrency,
)

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
            "max_connections": connections_for(settings.worker_concurrency),
        },
        broker_pool_limit=connections_for(settings.worker_concurrency),
        # The pool and its size come from settings; ``-c``/``--pool`` on the command line win.
        worker_pool=settings.worker_pool,
        worker_concurrency=settings.worker_concurrency,
        task_soft_time_limit=settings.task_soft_time_limit,
        task_time_limit=settings.task_time_limit,
        worker_hijack_root_logger=True,
        # Task events, so Flower (and `celery events`) can show what every worker is doing.
        # Not task-sent events from the client: Flower does not need them, and they slow the
        # enqueueing of a large run by a third.
        worker_send_task_events=True,
    )
    return app


app = make_celery(get_settings())
# This worker's background threads: reaper, parked jobs, outbox.
_chores: list[PeriodicThread] = []


@signals.worker_init.connect
def _check_configuration(**_: Any) -> None:
    # Fail at start-up with one clear line rather than on every job.
    try:
        get_settings().require_api_keys()
    except ConfigError as error:
        raise SystemExit(f"collector: {error}") from None


@signals.worker_init.connect
def _size_connection_pools(sender: Any, **_: Any) -> None:
    # kombu's Redis pool (10 connections by default) and redis-py's refuse connections past
    # their size, which fails acks and runs jobs twice at a high concurrency; so every pool is
    # sized to the concurrency this worker really has (``-c`` may differ from the settings).
    concurrency = sender.concurrency
    if not isinstance(concurrency, int):
        return
    size = connections_for(concurrency)
    conf = sender.app.conf
    conf.broker_pool_limit = size
    conf.broker_transport_options = {**conf.broker_transport_options, "max_connections": size}
    set_concurrency(concurrency)


@signals.after_setup_logger.connect
@signals.after_setup_task_logger.connect
def _configure_logs(logger: logging.Logger, **_: Any) -> None:
    settings = get_settings()
    logs.configure_handlers(logger.handlers, settings.youtube_api_keys, settings.log_format)


@signals.worker_process_init.connect
def _build_child_runtime(**_: Any) -> None:
    # A prefork child forgets its parent's sockets, then builds its own clients now, so that
    # its first job does not pay for them.
    reset_runtime()
    get_runtime()


@signals.worker_ready.connect
def _start_chores(**_: Any) -> None:
    """In the worker's main process, beside whatever pool it runs."""
    from .outbox import outbox_thread
    from .parking import release_thread  # both import this module: not at the top
    from .reaper import reaper_thread

    settings = get_settings()
    # One small Redis pool for the three chores, apart from the jobs' pool.
    store = make_store(settings, redis_client(settings, max_connections=3))
    _chores[:] = [
        reaper_thread(app, settings, store),
        release_thread(app, settings, store),
        outbox_thread(app, settings, store),
    ]
    for chore in _chores:
        chore.start()


@signals.worker_shutdown.connect
def _stop_chores(**_: Any) -> None:
    for chore in _chores:
        chore.stop()
