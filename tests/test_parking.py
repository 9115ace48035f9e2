"""Parked jobs: back to PENDING until the reset, then enqueued again by one worker at a time."""

from __future__ import annotations

import base64
import json
import time

import pytest
import redis

from collector.celery_app import make_celery
from collector.config import Settings
from collector.keys import Keys
from collector.models import JobStatus
from collector.parking import ParkedJobs, park
from collector.store import Store
from collector.youtube import Spend
from tests.test_store import make_store

KEYS = Keys("t:")


@pytest.fixture
def store(redis_client: redis.Redis) -> Store:
    return make_store(redis_client)


@pytest.fixture
def parked(redis_client: redis.Redis, settings: Settings) -> ParkedJobs:
    return ParkedJobs(redis_client, KEYS, make_celery(settings), settings.queue)


def queued_tasks(redis_client: redis.Redis, queue: str) -> list[dict[str, str]]:
    """The kwargs of every task message waiting in the Celery queue (kombu's Redis list)."""
    messages = [json.loads(raw) for raw in redis_client.lrange(queue, 0, -1)]
    return [json.loads(base64.b64decode(message["body"]))[1] for message in messages]


def test_a_parked_job_is_pending_again_with_its_attempt_given_back(
    store: Store, redis_client: redis.Redis
) -> None:
    store.write_run("r1", ["@a", "@b"])
    store.start_job("r1", "0")

    assert park(store, "r1", "0", "@a", Spend(units=2))

    job, run = store.get_job("r1", "0"), store.get_run("r1")
    assert job is not None and run is not None
    assert (job.status, job.attempts) == (JobStatus.PENDING, 0)
    assert job.parked_until is not None and job.parked_until.endswith("Z")
    assert run.counts == {"PENDING": 2, "PROCESSING": 0, "DONE": 0, "FAILED": 0}
    assert run.units == 2  # spent before the quota ran out: it counts
    assert redis_client.zcard(KEYS.leases()) == 0
    ((member, release_at),) = redis_client.zrange(KEYS.parked_jobs(), 0, -1, withscores=True)
    assert json.loads(member) == {"run_id": "r1", "job_id": "0", "identifier": "@a"}
    assert release_at > time.time() + 300  # after the next Pacific midnight, with a margin
    assert store.start_job("r1", "0").attempts == 1


def test_only_a_processing_job_can_be_parked(store: Store) -> None:
    store.write_run("r1", ["@a"])
    assert not park(store, "r1", "0", "@a", Spend())  # PENDING
    store.start_job("r1", "0")
    store.finish_job("r1", "0", JobStatus.DONE, channel_id="UC1", data={}, units=1)
    assert not park(store, "r1", "0", "@a", Spend())  # DONE
    assert store.get_job("r1", "0").status is JobStatus.DONE  # type: ignore[union-attr]


def test_due_jobs_are_enqueued_once_and_the_rest_wait(
    store: Store, parked: ParkedJobs, redis_client: redis.Redis, settings: Settings
) -> None:
    store.write_run("r1", ["@a", "@b", "@c"])
    for job_id, text in [("0", "@a"), ("1", "@b"), ("2", "@c")]:
        store.start_job("r1", job_id)
        store.park_job("r1", job_id, text, release_at=1000.0 * int(job_id), units=0)

    assert parked.release_due(now=1000.0) == 2
    assert parked.release_due(now=1000.0) == 0

    assert sorted(t["job_id"] for t in queued_tasks(redis_client, settings.queue)) == ["0", "1"]
    assert queued_tasks(redis_client, settings.queue)[0]["run_id"] == "r1"
    assert redis_client.zrange(KEYS.parked_jobs(), 0, -1) == [
        json.dumps({"run_id": "r1", "job_id": "2", "identifier": "@c"})
    ]


def test_one_worker_at_a_time_releases(
    store: Store, parked: ParkedJobs, redis_client: redis.Redis, settings: Settings
) -> None:
    store.write_run("r1", ["@a"])
    store.start_job("r1", "0")
    store.park_job("r1", "0", "@a", release_at=0.0, units=0)
    redis_client.set(KEYS.parked_release_lock(), "another worker", ex=60)

    assert parked.release_due() == 0
    redis_client.delete(KEYS.parked_release_lock())
    assert parked.release_due() == 1
    assert redis_client.get(KEYS.parked_release_lock()) is None  # let go once done
    assert len(queued_tasks(redis_client, settings.queue)) == 1
