"""Run and Job state: atomic transitions, exactly-once completion, O(1) run reads."""

from __future__ import annotations

import threading

import pytest
import redis

from collector.keys import Keys
from collector.models import JobStatus, RunStatus
from collector.store import FinishOutcome, StartOutcome, Store


def make_store(client: redis.Redis, *, max_attempts: int = 3, ttl: int = 3600) -> Store:
    return Store(
        client, Keys("t:"), run_ttl_seconds=ttl, lease_seconds=60, max_attempts=max_attempts
    )


@pytest.fixture
def store(redis_client: redis.Redis) -> Store:
    return make_store(redis_client)


def test_a_new_run_has_every_job_pending(store: Store) -> None:
    store.write_run("r1", ["@a", "@b", "@c"])

    run = store.get_run("r1")
    assert run is not None
    assert (run.status, run.total) == (RunStatus.RUNNING, 3)
    assert run.counts == {"PENDING": 3, "PROCESSING": 0, "DONE": 0, "FAILED": 0}
    jobs = store.get_jobs("r1")
    assert [(j.job_id, j.input, j.status, j.attempts) for j in jobs] == [
        ("0", "@a", JobStatus.PENDING, 0),
        ("1", "@b", JobStatus.PENDING, 0),
        ("2", "@c", JobStatus.PENDING, 0),
    ]


def test_an_empty_run_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="at least one"):
        store.write_run("r1", [])


def test_jobs_move_through_processing_to_terminal_and_complete_the_run(store: Store) -> None:
    store.write_run("r1", ["@a", "@b"])

    assert store.start_job("r1", "0").outcome is StartOutcome.STARTED
    assert store.get_run("r1").counts["PROCESSING"] == 1  # type: ignore[union-attr]
    first = store.finish_job("r1", "0", JobStatus.DONE, channel_id="UC1", data={"n": 1}, units=1)
    store.start_job("r1", "1")
    error = {"code": "not_found", "message": "none", "retryable": False}
    last = store.finish_job("r1", "1", JobStatus.FAILED, error=error, units=1)

    assert (first, last) == (FinishOutcome.FINISHED, FinishOutcome.COMPLETED_RUN)
    run = store.get_run("r1")
    assert run is not None
    assert run.status is RunStatus.COMPLETED and run.completed_at
    assert run.counts == {"PENDING": 0, "PROCESSING": 0, "DONE": 1, "FAILED": 1}
    assert run.units == 2
    done, failed = store.get_jobs("r1")
    assert (done.status, done.channel_id, done.data, done.error) == (
        JobStatus.DONE,
        "UC1",
        {"n": 1},
        None,
    )
    assert (failed.status, failed.error) == (JobStatus.FAILED, error)
    assert done.started_at and done.finished_at


def test_a_job_reads_and_writes_more_keys_in_its_start_and_finish_round_trips(
    store: Store, redis_client: redis.Redis
) -> None:
    store.write_run("r1", ["@a"])
    redis_client.set("known", "UC1")

    start = store.start_job("r1", "0", prefetch=["known", "unknown"])
    writes = store.pipeline()
    writes.set("written", "1")
    outcome = store.finish_job("r1", "0", JobStatus.DONE, channel_id="UC1", writes=writes)

    assert start.outcome is StartOutcome.STARTED
    assert start.prefetched == {"known": "UC1", "unknown": None}
    assert outcome is FinishOutcome.COMPLETED_RUN and redis_client.get("written") == "1"
    job = store.get_job("r1", "0")
    assert job is not None and (job.status, job.channel_id) == (JobStatus.DONE, "UC1")


def test_a_terminal_job_ignores_late_and_duplicate_deliveries(store: Store) -> None:
    store.write_run("r1", ["@a", "@b"])
    store.start_job("r1", "0")
    store.finish_job("r1", "0", JobStatus.DONE, channel_id="UC1", data={"n": 1})
    before = store.get_run("r1")

    assert store.start_job("r1", "0").outcome is StartOutcome.TERMINAL
    assert (
        store.finish_job("r1", "0", JobStatus.FAILED, error={"code": "x"}) is FinishOutcome.IGNORED
    )

    assert store.get_run("r1") == before
    job = store.get_job("r1", "0")
    assert job is not None and (job.status, job.error, job.attempts) == (JobStatus.DONE, None, 1)


def test_a_redelivery_takes_the_job_over_and_counts_the_attempt(store: Store) -> None:
    store.write_run("r1", ["@a"])
    store.start_job("r1", "0")

    again = store.start_job("r1", "0")

    assert (again.outcome, again.attempts) == (StartOutcome.TAKEN_OVER, 2)
    assert store.get_run("r1").counts["PROCESSING"] == 1  # type: ignore[union-attr]


def test_a_job_whose_worker_dies_every_time_fails_as_worker_lost(redis_client: redis.Redis) -> None:
    store = make_store(redis_client, max_attempts=2)
    store.write_run("r1", ["@a"])
    store.start_job("r1", "0")
    store.start_job("r1", "0")

    third = store.start_job("r1", "0")

    assert third.outcome is StartOutcome.EXHAUSTED
    job = store.get_job("r1", "0")
    assert job is not None and job.status is JobStatus.FAILED
    assert job.error is not None and job.error["code"] == "worker_lost"
    assert store.get_run("r1").status is RunStatus.COMPLETED  # type: ignore[union-attr]


def test_jobs_can_be_paged_and_filtered_by_status_in_input_order(store: Store) -> None:
    store.write_run("r1", [f"@name{i}" for i in range(10)])
    for job_id in ("7", "2", "5"):
        store.start_job("r1", job_id)
        store.finish_job("r1", job_id, JobStatus.DONE, channel_id=f"UC{job_id}")

    assert [j.job_id for j in store.get_jobs("r1", status=JobStatus.DONE)] == ["2", "5", "7"]
    pending_page = store.get_jobs("r1", status=JobStatus.PENDING, offset=2, limit=3)
    assert [j.job_id for j in pending_page] == ["3", "4", "6"]
    assert [j.job_id for j in store.get_jobs("r1", offset=8, limit=5)] == ["8", "9"]
    assert len(store.all_jobs("r1", page_size=3)) == 10


def test_finished_runs_expire_after_the_ttl(redis_client: redis.Redis) -> None:
    store = make_store(redis_client, ttl=1000)
    store.write_run("r1", ["@a", "@b"])
    assert redis_client.ttl("t:run:r1") == -1  # a running run never expires
    for job_id in ("0", "1"):
        store.start_job("r1", job_id)
        store.finish_job("r1", job_id, JobStatus.DONE)

    run_keys = list(redis_client.scan_iter("t:*r1*"))  # not the shared leases, events, metrics
    assert len(run_keys) >= 5
    assert all(0 < redis_client.ttl(key) <= 1000 for key in run_keys)


def test_concurrent_last_jobs_complete_each_run_exactly_once(redis_client: redis.Redis) -> None:
    runs = [f"r{i}" for i in range(30)]
    setup = make_store(redis_client)
    for run_id in runs:
        setup.write_run(run_id, ["@a", "@b", "@c", "@d"])
        for job_id in ("0", "1", "2", "3"):
            setup.start_job(run_id, job_id)
    outcomes: list[FinishOutcome] = []
    barrier = threading.Barrier(8)

    def finish_everything(worker: int) -> None:
        mine = make_store(redis.Redis(connection_pool=redis_client.connection_pool))
        barrier.wait()
        for run_id in runs:
            for job_id in ("0", "1", "2", "3"):
                # Every thread finishes every job: seven of eight finishes are duplicates.
                status = JobStatus.DONE if worker % 2 else JobStatus.FAILED
                outcomes.append(mine.finish_job(run_id, job_id, status, units=1))

    threads = [threading.Thread(target=finish_everything, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes.count(FinishOutcome.COMPLETED_RUN) == len(runs)
    assert outcomes.count(FinishOutcome.FINISHED) == len(runs) * 3
    for run_id in runs:
        run = setup.get_run(run_id)
        assert run is not None and run.status is RunStatus.COMPLETED
        assert run.counts["DONE"] + run.counts["FAILED"] == 4
        assert run.counts["PENDING"] == run.counts["PROCESSING"] == 0
        assert run.units == 4
