"""Completion callbacks: written once by the completing step, published once, never lost."""

from __future__ import annotations

import threading
import time

import redis

from collector.celery_app import make_celery
from collector.client import CollectorClient
from collector.config import Settings
from collector.models import JobStatus
from collector.outbox import OutboxPublisher
from collector.runtime import make_store
from collector.store import RunOptions, Store
from tests.celery_messages import queued_tasks
from tests.fake_youtube import FakeYouTube

CALLBACK = RunOptions(on_complete="backend.tasks.run_finished", on_complete_queue="backend")


def finish_all(store: Store, run_id: str, count: int) -> None:
    for job_id in map(str, range(count)):
        store.start_job(run_id, job_id)
        store.finish_job(run_id, job_id, JobStatus.DONE, units=1)


def test_racing_last_jobs_write_one_outbox_entry_per_run(
    settings: Settings, redis_client: redis.Redis
) -> None:
    store = make_store(settings, redis_client)
    runs = [f"r{i}" for i in range(20)]
    for run_id in runs:
        store.write_run(run_id, ["@a", "@b", "@c"], CALLBACK if run_id != "r0" else None)
        for job_id in ("0", "1", "2"):
            store.start_job(run_id, job_id)
    barrier = threading.Barrier(6)

    def finish_everything() -> None:
        mine = make_store(settings, redis.Redis(connection_pool=redis_client.connection_pool))
        barrier.wait()
        for run_id in runs:
            for job_id in ("0", "1", "2"):
                mine.finish_job(run_id, job_id, JobStatus.DONE)

    threads = [threading.Thread(target=finish_everything) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Every run completed; only those that asked for a callback are in the outbox, once.
    assert sorted(redis_client.zrange(store.keys.outbox(), 0, -1)) == sorted(runs[1:])


def test_the_callback_is_the_named_task_with_the_run_summary_sent_once(
    settings: Settings, redis_client: redis.Redis
) -> None:
    store = make_store(settings, redis_client)
    store.write_run("r1", ["@a", "@b"], CALLBACK)
    finish_all(store, "r1", 2)
    publisher = OutboxPublisher(store, make_celery(settings), claim_seconds=60)

    assert publisher.publish("r1") is True
    assert publisher.publish("r1") is False
    assert publisher.publish_due() == 0

    [task] = queued_tasks(redis_client, "backend")
    assert (task.name, task.task_id, task.args) == (
        "backend.tasks.run_finished", "on-complete-r1", [],
    )  # fmt: skip
    summary = task.kwargs["run"]
    assert (summary["run_id"], summary["status"], summary["total"]) == ("r1", "COMPLETED", 2)
    assert summary["counts"] == {"PENDING": 0, "PROCESSING": 0, "DONE": 2, "FAILED": 0}
    assert summary["units"] == 2 and summary["completed_at"]
    assert redis_client.zcard(store.keys.outbox()) == 0


def test_a_callback_its_publisher_failed_to_send_is_sent_once_its_claim_lapses(
    settings: Settings, redis_client: redis.Redis
) -> None:
    store = make_store(settings, redis_client)
    store.write_run("r1", ["@a"], CALLBACK)
    finish_all(store, "r1", 1)
    unreachable = make_celery(Settings(redis_url="redis://127.0.0.1:1/0"))
    unreachable.conf.update(task_publish_retry=False, broker_transport_options={"max_retries": 1})
    failing = OutboxPublisher(store, unreachable, claim_seconds=6)
    healthy = OutboxPublisher(store, make_celery(settings), claim_seconds=6)

    assert failing.publish("r1") is False  # claimed, then the broker was unreachable (~2 s)
    assert healthy.publish_due() == 0  # still claimed by the failed publisher
    deadline = time.monotonic() + 15
    while healthy.publish_due() == 0:
        assert time.monotonic() < deadline, "the lapsed claim was never taken over"
        time.sleep(0.2)

    assert [task.kwargs["run"]["run_id"] for task in queued_tasks(redis_client, "backend")] == [
        "r1"
    ]
    assert redis_client.zcard(store.keys.outbox()) == 0


def test_the_callback_is_sent_once_when_two_workers_finish_the_last_jobs_together(
    youtube: FakeYouTube, settings: Settings, redis_client: redis.Redis, start_worker
) -> None:
    # Sweeps every 0.1 s with a 1 s claim, so a sweep races every completing worker.
    fast_sweeps = {"COLLECTOR_OUTBOX_INTERVAL": "0.1", "COLLECTOR_OUTBOX_CLAIM_SECONDS": "1"}
    start_worker(concurrency=1, env=fast_sweeps)
    start_worker(concurrency=1, env=fast_sweeps)
    client = CollectorClient(settings)
    run_ids = []
    for round_ in range(3):
        # New channels each round: the resolution cache would answer known ones at once.
        handles = [f"RoundChannel{round_}a", f"RoundChannel{round_}b"]
        for number, handle in enumerate(handles):
            youtube.add_channel(f"UC{round_:011d}{number:011d}", title=handle, handle=handle)
        youtube.hold()
        run_id = client.create_run(
            [f"@{handle}" for handle in handles],
            on_complete=CALLBACK.on_complete,
            on_complete_queue="backend",
        )
        deadline = time.monotonic() + 30
        while youtube.held_count() < 2:  # each worker is inside its job's API call
            assert time.monotonic() < deadline, "both jobs never reached the API together"
            time.sleep(0.01)
        youtube.release()
        client.wait(run_id, timeout=30)
        run_ids.append(run_id)

    time.sleep(2.5)  # past two claim periods, with a sweep every 0.1 s in each worker

    tasks = queued_tasks(redis_client, "backend")
    assert [task.kwargs["run"]["run_id"] for task in tasks] == run_ids
    assert all(task.name == "backend.tasks.run_finished" for task in tasks)
    assert redis_client.zcard(client.store.keys.outbox()) == 0
