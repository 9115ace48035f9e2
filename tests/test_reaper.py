"""The lease reaper: PROCESSING jobs whose worker vanished are enqueued again or failed."""

from __future__ import annotations

import pytest
import redis

from collector.client import CollectorClient
from collector.config import Settings
from collector.enqueue import enqueue_jobs
from collector.keys import Keys
from collector.models import JobStatus, RunStatus
from collector.reaper import Reaper
from collector.store import Store
from collector.stranded import StrandedJobs
from tests.fake_youtube import FakeYouTube
from tests.workers import wait_until

CHANNEL = "UC_x5XG1OV2P6uZZ5FSM9Ttw"


def store_with_lease(client: redis.Redis, lease_seconds: int, max_attempts: int = 3) -> Store:
    return Store(
        client, Keys("collector:"), run_ttl_seconds=3600, lease_seconds=lease_seconds,
        max_attempts=max_attempts,
    )  # fmt: skip


class Recorder:
    def __init__(self) -> None:
        self.enqueued: list[tuple[str, str, str]] = []

    def __call__(self, run_id: str, job_id: str, identifier: str) -> None:
        self.enqueued.append((run_id, job_id, identifier))


@pytest.fixture
def expired(redis_client: redis.Redis) -> Store:
    """A store whose leases are already over when granted."""
    return store_with_lease(redis_client, lease_seconds=-1)


def test_an_expired_job_is_enqueued_again_once(expired: Store, redis_client: redis.Redis) -> None:
    expired.write_run("r1", ["@a", "@b"])
    expired.start_job("r1", "1")
    enqueue = Recorder()
    reaper = Reaper(store_with_lease(redis_client, 60), enqueue, interval=30, queue="collector")

    report = reaper.reap_once()

    assert enqueue.enqueued == [("r1", "1", "@b")]
    assert (report.requeued, report.failed) == (1, 0)
    # The lease is the reaper's now, and the lock keeps a second reaper out this interval.
    other = Reaper(store_with_lease(redis_client, 60), Recorder(), interval=30, queue="collector")
    assert other.reap_once().requeued == 0
    redis_client.delete(Keys("collector:").reaper_lock())
    assert reaper.reap_once().requeued == 0


def test_a_job_out_of_attempts_fails_worker_lost(redis_client: redis.Redis) -> None:
    store = store_with_lease(redis_client, lease_seconds=-1, max_attempts=2)
    store.write_run("r1", ["@a"])
    store.start_job("r1", "0")
    store.start_job("r1", "0")  # a redelivery: attempts 2
    enqueue = Recorder()

    report = Reaper(store, enqueue, interval=30, queue="collector").reap_once()

    assert (report.requeued, report.failed, enqueue.enqueued) == (0, 1, [])
    job = store.get_job("r1", "0")
    assert job is not None and job.status is JobStatus.FAILED
    assert job.error is not None and job.error["code"] == "worker_lost"
    assert store.get_run("r1").status is RunStatus.COMPLETED  # type: ignore[union-attr]


def test_a_lease_of_a_finished_job_is_released(expired: Store, redis_client: redis.Redis) -> None:
    expired.write_run("r1", ["@a"])
    expired.start_job("r1", "0")
    redis_client.hset(Keys("collector:").job("r1", "0"), "status", "DONE")  # a lost ZREM

    report = Reaper(expired, Recorder(), interval=30, queue="collector").reap_once()

    assert report.released == 1
    assert redis_client.zcard(Keys("collector:").leases()) == 0


def test_a_worker_recovers_a_job_whose_message_is_gone(
    youtube: FakeYouTube, settings: Settings, redis_client: redis.Redis, start_worker
) -> None:
    youtube.add_channel(CHANNEL, handle="GoogleDevelopers")
    # A worker took the job and died after its message was acknowledged: no message is left.
    store = store_with_lease(redis_client, lease_seconds=-1)
    store.write_run("r1", [CHANNEL])
    store.start_job("r1", "0")

    start_worker(env={"COLLECTOR_REAPER_INTERVAL": "1"})

    client = CollectorClient(settings)
    run = client.wait("r1", timeout=20)
    job = client.get_jobs("r1")[0]
    assert run.counts["DONE"] == 1
    assert (job.status, job.channel_id, job.attempts) == (JobStatus.DONE, CHANNEL, 2)
    wait_until(lambda: redis_client.zcard(Keys("collector:").leases()) == 0, 5, "lease released")


def test_a_pending_job_with_no_message_anywhere_is_found_on_the_second_look(
    settings: Settings, redis_client: redis.Redis
) -> None:
    client = CollectorClient(settings)
    store = client.store
    jobs = store.write_run("r1", ["@a", "@b", "@c"])
    enqueue_jobs(client.celery, settings.queue, "r1", jobs[:2])  # job 2's message is lost
    stranded = StrandedJobs(store, settings.queue, suspect_ttl=60)
    # This connection plays a worker holding both messages, unacknowledged, until it closes.
    with client.celery.connection_for_write() as connection:
        channel = connection.default_channel
        held = [channel.basic_get(settings.queue, no_ack=False) for _ in range(2)]
        assert all(held) and redis_client.llen(settings.queue) == 0

        assert stranded.find() == []  # a suspect only
        assert stranded.find() == [("r1", "2", "@c")]


def test_nothing_is_stranded_while_messages_wait_in_the_queue(
    settings: Settings, redis_client: redis.Redis
) -> None:
    client = CollectorClient(settings)
    jobs = client.store.write_run("r1", ["@a", "@b"])
    enqueue_jobs(client.celery, settings.queue, "r1", jobs[:1])
    stranded = StrandedJobs(client.store, settings.queue, suspect_ttl=60)

    assert stranded.find() == stranded.find() == []


def test_a_worker_recovers_a_run_whose_messages_were_all_lost(
    youtube: FakeYouTube, settings: Settings, start_worker
) -> None:
    youtube.add_channel(CHANNEL, handle="GoogleDevelopers")
    client = CollectorClient(settings)
    client.store.write_run("r1", [CHANNEL, "@GoogleDevelopers"])  # written, never enqueued

    start_worker(env={"COLLECTOR_REAPER_INTERVAL": "1"})

    run = client.wait("r1", timeout=20)
    assert run.counts["DONE"] == 2
