"""The worker's pool and concurrency: from settings or the command line, and correct in both."""

from __future__ import annotations

import time
from typing import Any

from collector.celery_app import make_celery
from collector.client import CollectorClient
from collector.config import Settings
from collector.enqueue import writes_messages_directly
from collector.models import JobStatus, RunStatus
from collector.runtime import connections_for
from tests.conftest import API_KEY
from tests.fake_youtube import FakeYouTube


def worker_stats(settings: Settings) -> dict[str, Any]:
    """What the one running worker reports about itself (Celery's remote control)."""
    replies = make_celery(settings).control.inspect(timeout=10, limit=1).stats() or {}
    assert len(replies) == 1, replies
    return next(iter(replies.values()))  # type: ignore[no-any-return]


def test_pool_and_concurrency_come_from_settings(settings: Settings, start_worker) -> None:
    start_worker(
        pool=None,
        concurrency=None,
        env={"COLLECTOR_POOL": "threads", "COLLECTOR_CONCURRENCY": "12"},
    )

    stats = worker_stats(settings)

    assert stats["pool"]["implementation"] == "celery.concurrency.thread:TaskPool"
    assert stats["pool"]["max-concurrency"] == 12
    assert stats["broker"]["transport_options"]["max_connections"] == connections_for(12)


def test_the_command_line_concurrency_wins_and_sizes_the_broker_pool(
    settings: Settings, start_worker
) -> None:
    start_worker(pool="threads", concurrency=30, env={"COLLECTOR_CONCURRENCY": "2"})

    stats = worker_stats(settings)

    assert stats["pool"]["max-concurrency"] == 30
    assert stats["broker"]["transport_options"]["max_connections"] == connections_for(30)


def test_a_threads_pool_worker_runs_a_run_in_parallel_with_every_job_once(
    youtube: FakeYouTube, settings: Settings, start_worker
) -> None:
    concurrency, total = 50, 400
    # Handles: one channels.list call each (ids would be batched, 50 channels a call).
    handles = [f"@threads{i}" for i in range(total)]
    channels = [
        youtube.add_channel(title=f"Channel {i}", handle=handle)["id"]
        for i, handle in enumerate(handles)
    ]
    env = {"RECENT_VIDEOS": "0", "COLLECTOR_HTTP_READ_TIMEOUT": "20"}  # no retry while held
    worker = start_worker(pool="threads", concurrency=concurrency, env=env)
    client = CollectorClient(settings)
    assert writes_messages_directly(client.celery, settings)
    youtube.hold()

    run_id = client.create_run(handles)
    # Every thread is waiting on the API at once: no pool of ours holds them back.
    deadline = time.monotonic() + 30
    while youtube.held_count() < concurrency and time.monotonic() < deadline:
        time.sleep(0.05)
    held = youtube.held_count()
    youtube.release()
    run = client.wait(run_id, timeout=60)

    assert held == concurrency
    assert run.status is RunStatus.COMPLETED
    assert run.counts == {"PENDING": 0, "PROCESSING": 0, "DONE": total, "FAILED": 0}
    jobs = client.all_jobs(run_id)
    assert [job.channel_id for job in jobs] == channels
    assert all(job.status is JobStatus.DONE and job.attempts == 1 for job in jobs)
    assert [job.data["title"] for job in jobs] == [f"Channel {i}" for i in range(total)]  # type: ignore[index]
    assert youtube.calls("channels.list") == total == run.units
    log = worker.log()
    assert "ERROR" not in log and "Traceback" not in log
    assert API_KEY not in log
