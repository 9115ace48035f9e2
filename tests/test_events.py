"""Run events: written by the transition they describe, in order, complete, resumable."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

import pytest
import redis

from collector.client import CollectorClient, RunNotFound
from collector.config import Settings
from collector.events import FIRST_ID, Event, EventReader
from collector.keys import Keys
from collector.models import JobStatus
from collector.store import Store
from tests.fake_youtube import FakeYouTube

GOOGLE_DEVELOPERS = "UC_x5XG1OV2P6uZZ5FSM9Ttw"
ANDROID = "UCVHFbqXqoYvEWM1Ddxl0QDg"


def make_store(client: redis.Redis, *, max_attempts: int = 3, maxlen: int = 1000) -> Store:
    return Store(
        client,
        Keys("t:"),
        run_ttl_seconds=3600,
        lease_seconds=60,
        max_attempts=max_attempts,
        run_events_maxlen=maxlen,
        events_maxlen=maxlen,
    )


def run_events(store: Store, run_id: str) -> list[Event]:
    return EventReader(store.redis, store.keys).read(run_id, FIRST_ID, count=10_000)


def test_each_transition_writes_its_event_to_the_run_and_global_streams(
    redis_client: redis.Redis,
) -> None:
    store = make_store(redis_client)
    store.write_run("r1", ["@a", "@b"])
    store.start_job("r1", "0")
    store.finish_job("r1", "0", JobStatus.DONE, channel_id="UC1", units=1, duration=0.3)
    store.start_job("r1", "1")
    error = {"code": "not_found", "message": "none", "retryable": False}
    store.finish_job("r1", "1", JobStatus.FAILED, error=error, units=1)
    store.finish_job("r1", "1", JobStatus.DONE)  # a duplicate: ignored, so no event

    events = run_events(store, "r1")

    assert [(e.type, e.job_id, e.status) for e in events] == [
        ("run.created", None, "RUNNING"),
        ("job.started", "0", "PROCESSING"),
        ("job.finished", "0", "DONE"),
        ("job.started", "1", "PROCESSING"),
        ("job.finished", "1", "FAILED"),
        ("run.completed", None, "COMPLETED"),
    ]
    assert (events[2].channel_id, events[2].error, events[2].units) == ("UC1", None, 1)
    assert (events[4].channel_id, events[4].error) == (None, "not_found")
    assert (events[5].total, events[5].done, events[5].failed, events[5].units) == (2, 1, 1, 2)
    assert all(e.run_id == "r1" and e.ts for e in events)
    ids = [e.id for e in events]
    assert ids == sorted(ids, key=lambda i: tuple(map(int, i.split("-"))))
    everything = redis_client.xrange("t:events")
    assert [fields["type"] for _, fields in everything] == [e.type for e in events]


def test_a_redelivery_and_a_worker_lost_failure_are_events_too(redis_client: redis.Redis) -> None:
    store = make_store(redis_client, max_attempts=2)
    store.write_run("r1", ["@a"])
    for _ in range(3):
        store.start_job("r1", "0")

    events = run_events(store, "r1")

    assert [(e.type, e.attempt, e.error) for e in events] == [
        ("run.created", None, None),
        ("job.started", 1, None),
        ("job.started", 2, None),
        ("job.finished", None, "worker_lost"),
        ("run.completed", None, None),
    ]


def test_a_job_parked_for_the_quota_reset_is_an_event(redis_client: redis.Redis) -> None:
    store = make_store(redis_client)
    store.write_run("r1", ["@a"])
    store.start_job("r1", "0")

    assert store.park_job("r1", "0", "@a", release_at=4_102_444_800, units=1)

    parked = run_events(store, "r1")[-1]
    assert (parked.type, parked.job_id, parked.status) == ("job.parked", "0", "PENDING")
    assert parked.parked_until == "2100-01-01T00:00:00Z"


def test_streams_are_trimmed_to_about_their_limit(redis_client: redis.Redis) -> None:
    store = make_store(redis_client, maxlen=100)
    store.write_run("r1", [f"@name{i}" for i in range(400)])
    for job_id in range(400):
        store.start_job("r1", str(job_id))

    # MAXLEN ~ trims whole nodes of a stream: a little over the limit, never unbounded.
    assert 100 <= redis_client.xlen("t:run:r1:events") < 250
    assert 100 <= redis_client.xlen("t:events") < 250


def test_the_run_stream_expires_with_the_completed_run(redis_client: redis.Redis) -> None:
    store = make_store(redis_client)
    store.write_run("r1", ["@a"])
    store.start_job("r1", "0")
    assert redis_client.ttl("t:run:r1:events") == -1
    store.finish_job("r1", "0", JobStatus.DONE)

    assert 0 < redis_client.ttl("t:run:r1:events") <= 3600
    assert redis_client.ttl("t:events") == -1


def test_events_resume_after_a_given_id_and_stop_at_completion(settings: Settings) -> None:
    client = CollectorClient(settings)
    run_id = "r1"
    client.store.write_run(run_id, ["@a", "@b"])
    for job_id in ("0", "1"):
        client.store.start_job(run_id, job_id)
        client.store.finish_job(run_id, job_id, JobStatus.DONE)

    every = list(client.events(run_id))
    rest = list(client.events(run_id, last_id=every[2].id))

    assert [e.type for e in every][-1] == "run.completed"
    assert rest == every[3:]
    assert list(client.events(run_id, last_id="$")) == []  # complete: nothing more will come


def test_events_time_out_on_a_running_run_and_refuse_an_unknown_one(settings: Settings) -> None:
    client = CollectorClient(settings)
    client.store.write_run("r1", ["@a"])

    with pytest.raises(TimeoutError):
        list(client.events("r1", timeout=0.3))
    with pytest.raises(RunNotFound):
        list(client.events("no-such-run"))


def test_a_mixed_run_through_a_worker_has_every_event_in_order(
    youtube: FakeYouTube, settings: Settings, start_worker
) -> None:
    youtube.add_channel(GOOGLE_DEVELOPERS, title="Google Developers", handle="GoogleDevelopers")
    youtube.add_channel(ANDROID, title="Android Developers", handle="AndroidDevelopers")
    youtube.fail_next(1, "503")  # one job's API call fails: upstream_error
    start_worker(concurrency=2)
    client = CollectorClient(settings)
    inputs = ["@nobody-here", GOOGLE_DEVELOPERS, "@AndroidDevelopers", "not a channel", "@gone"]

    run_id = client.create_run(inputs)
    events = list(client.events(run_id, timeout=60))

    types = [e.type for e in events]
    assert types[0] == "run.created" and types[-1] == "run.completed"
    assert Counter(types) == {"run.created": 1, "job.started": 5, "job.finished": 5,
                              "run.completed": 1}  # fmt: skip
    for job_id in map(str, range(len(inputs))):
        mine = [e.type for e in events if e.job_id == job_id]
        assert mine == ["job.started", "job.finished"], job_id
    finished = {e.job_id: e for e in events if e.type == "job.finished"}
    run = client.get_run(run_id)
    jobs = client.all_jobs(run_id)
    for job in jobs:
        event = finished[job.job_id]
        assert (event.status, event.channel_id) == (job.status, job.channel_id)
        assert event.error == (job.error["code"] if job.error else None)
    statuses = Counter(e.status for e in finished.values())
    assert statuses == {"DONE": run.counts["DONE"], "FAILED": run.counts["FAILED"]}
    assert {e.error for e in finished.values()} >= {"invalid_identifier", "not_found"}
    assert (events[-1].done, events[-1].failed, events[-1].units) == (
        run.counts["DONE"],
        run.counts["FAILED"],
        run.units,
    )


def test_collector_watch_prints_a_completed_runs_events(
    settings: Settings, worker_env: dict[str, str], tmp_path
) -> None:
    client = CollectorClient(settings)
    client.store.write_run("r1", ["@a"])
    client.store.start_job("r1", "0")
    client.store.finish_job("r1", "0", JobStatus.DONE, channel_id="UC1")
    env = {**worker_env, "PATH": "/usr/bin:/bin"}

    result = subprocess.run(
        [sys.executable, "-m", "collector.cli", "watch", "r1", "--json"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=30,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["type"] for line in lines] == [
        "run.created", "job.started", "job.finished", "run.completed",
    ]  # fmt: skip
    assert lines[2]["channel_id"] == "UC1"

    missing = subprocess.run(
        [sys.executable, "-m", "collector.cli", "watch", "nope"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=30,
    )  # fmt: skip
    assert missing.returncode == 1 and "no run 'nope'" in missing.stderr
