"""Keys, quota and resilient calls through real Celery workers, Redis and the fake API."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import time
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

import pytest
import redis

from collector.apikeys import KeyPool, fingerprint
from collector.cli import run_document
from collector.client import CollectorClient
from collector.config import Settings
from collector.keys import Keys
from collector.models import JobStatus, Run, RunStatus
from tests.conftest import API_KEY, SECOND_API_KEY, THIRD_API_KEY
from tests.fake_youtube import FakeYouTube

# One channels.list call per job; retries quick enough for tests.
QUICK = {
    "RECENT_VIDEOS": "0",
    "YOUTUBE_RETRY_ATTEMPTS": "3",
    "YOUTUBE_RETRY_BASE_DELAY": "0.1",
    "YOUTUBE_RETRY_MAX_DELAY": "0.4",
}
TWO_KEYS = {**QUICK, "YOUTUBE_API_KEYS": f"{API_KEY},{SECOND_API_KEY}"}


def add_handles(youtube: FakeYouTube, count: int) -> list[str]:
    for n in range(count):
        youtube.add_channel(title=f"Channel {n}", handle=f"handle{n}")
    return [f"@handle{n}" for n in range(count)]


def ledger_by_fingerprint(settings: Settings, client: redis.Redis, *keys: str) -> dict[str, int]:
    pool = KeyPool.from_settings(dataclasses.replace(settings, youtube_api_keys=keys), client)
    return {state.fingerprint: state.units_today for state in pool.states()}


def fake_by_fingerprint(youtube: FakeYouTube) -> dict[str, int]:
    return {fingerprint(key): units for key, units in youtube.units_by_key.items()}


def simulate_quota_reset(youtube: FakeYouTube, client: redis.Redis, settings: Settings) -> None:
    """What Pacific midnight does: the API forgets the day's spending, and so does the ledger."""
    youtube.new_day()
    for key in client.scan_iter(f"{settings.key_prefix}quota:*"):
        client.delete(key)


def wait_until(condition: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def cli(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "collector.cli", *args],
        capture_output=True, text=True, env={**env, "PATH": "/usr/bin:/bin"}, cwd=cwd, timeout=90,
    )  # fmt: skip


def assert_no_key_in(*texts: str) -> None:
    for key in (API_KEY, SECOND_API_KEY, THIRD_API_KEY):
        assert all(key not in text for text in texts)


@pytest.mark.parametrize("known_budget", [False, True], ids=["learned", "configured"])
def test_two_keys_of_5_units_serve_10_of_12_jobs_across_two_workers(
    youtube: FakeYouTube,
    settings: Settings,
    redis_client: redis.Redis,
    start_worker,
    known_budget: bool,
) -> None:
    youtube.add_key(API_KEY, budget=5)
    youtube.add_key(SECOND_API_KEY, budget=5)
    inputs = add_handles(youtube, 12)
    env = {**TWO_KEYS, **({"YOUTUBE_DAILY_QUOTA": "5"} if known_budget else {})}
    workers = [start_worker(env=env, concurrency=2) for _ in range(2)]
    client = CollectorClient(settings)

    run = client.wait(client.create_run(inputs), timeout=60)

    assert run.counts == {"PENDING": 0, "PROCESSING": 0, "DONE": 10, "FAILED": 2}
    jobs = client.all_jobs(run.run_id)
    failed = [job.error for job in jobs if job.status is JobStatus.FAILED]
    assert [(e["code"], e["retryable"]) for e in failed] == [("quota_exhausted", True)] * 2  # type: ignore[index]
    assert youtube.units() == run.units == 10
    assert ledger_by_fingerprint(settings, redis_client, API_KEY, SECOND_API_KEY) == (
        fake_by_fingerprint(youtube)
    ) == {fingerprint(API_KEY): 5, fingerprint(SECOND_API_KEY): 5}  # fmt: skip
    refused = [r for r in youtube.requests if r.status == 403]
    if known_budget:
        assert refused == []  # the ledger knew: no call was wasted on a spent key
    else:
        assert {r.key for r in refused} == {API_KEY, SECOND_API_KEY}
    assert_no_key_in(json.dumps(run_document(run, jobs)), *(w.log() for w in workers))


def test_an_invalid_key_is_asked_once_and_then_skipped_by_every_worker(
    youtube: FakeYouTube, settings: Settings, start_worker
) -> None:
    youtube.add_key(API_KEY, state="invalid")
    youtube.add_key(SECOND_API_KEY)
    inputs = add_handles(youtube, 10)
    workers = [start_worker(env=TWO_KEYS, concurrency=2) for _ in range(2)]
    client = CollectorClient(settings)

    first = client.wait(client.create_run(inputs[:1]), timeout=30)  # the tie goes to API_KEY
    rest = client.wait(client.create_run(inputs[1:]), timeout=60)

    assert (first.counts["DONE"], rest.counts["DONE"]) == (1, 9)
    assert [r.key for r in youtube.requests].count(API_KEY) == 1
    logs = "".join(worker.log() for worker in workers)
    assert logs.count(f"key {fingerprint(API_KEY)} is unusable (API_KEY_INVALID)") == 1
    jobs = client.all_jobs(first.run_id) + client.all_jobs(rest.run_id)
    assert_no_key_in(logs, json.dumps([job.to_dict() for job in jobs]))


def test_two_503_answers_then_success_end_done_after_backoff(
    youtube: FakeYouTube, settings: Settings, start_worker
) -> None:
    (handle,) = add_handles(youtube, 1)
    youtube.fail_next(2, "503")
    worker = start_worker(env=QUICK, concurrency=1)
    client = CollectorClient(settings)

    run = client.wait(client.create_run([handle]), timeout=30)

    (job,) = client.all_jobs(run.run_id)
    assert (job.status, job.attempts, job.units) == (JobStatus.DONE, 1, 1)
    times = [r.time for r in youtube.requests]
    assert [r.status for r in youtube.requests] == [503, 503, 200]
    gaps = [later - earlier for earlier, later in pairwise(times)]
    assert gaps[0] >= 0.05 and gaps[1] >= 0.1  # at least half of 0.1 s, then of 0.2 s
    assert worker.log().count("answered HTTP 503 (backendError); attempt") == 2


def test_a_body_cut_in_half_fails_the_job_and_the_worker_goes_on(
    youtube: FakeYouTube, settings: Settings, redis_client: redis.Redis, start_worker
) -> None:
    inputs = add_handles(youtube, 2)
    youtube.fail_next(int(QUICK["YOUTUBE_RETRY_ATTEMPTS"]), "truncated")
    worker = start_worker(env=QUICK, concurrency=1)
    client = CollectorClient(settings)

    run = client.wait(client.create_run(inputs), timeout=30)

    first, second = client.all_jobs(run.run_id)
    assert first.status is JobStatus.FAILED and first.error is not None
    assert (first.error["code"], first.error["retryable"]) == ("upstream_error", True)
    assert "malformed body" in first.error["message"]
    assert second.status is JobStatus.DONE
    assert worker.process.poll() is None
    assert youtube.units() == run.units == 1  # a cut body is not charged, by either side
    assert ledger_by_fingerprint(settings, redis_client, API_KEY) == fake_by_fingerprint(youtube)


def test_waiting_jobs_are_parked_until_the_reset_then_done(
    youtube: FakeYouTube, settings: Settings, redis_client: redis.Redis, start_worker
) -> None:
    youtube.add_key(API_KEY, budget=2)
    inputs = add_handles(youtube, 4)
    env = {**QUICK, "ON_QUOTA_EXHAUSTED": "wait", "COLLECTOR_PARKED_CHECK_SECONDS": "0.2"}
    start_worker(env=env, concurrency=2)
    client = CollectorClient(settings)
    parked_set = Keys(settings.key_prefix).parked_jobs()

    run_id = client.create_run(inputs)
    wait_until(lambda: redis_client.zcard(parked_set) == 2)

    run = client.get_run(run_id)
    assert run.status is RunStatus.RUNNING
    assert run.counts == {"PENDING": 2, "PROCESSING": 0, "DONE": 2, "FAILED": 0}
    waiting = client.get_jobs(run_id, status="PENDING")
    assert all(job.parked_until and job.attempts == 0 for job in waiting)
    time.sleep(0.6)  # three release checks: nothing is due before the reset
    assert redis_client.zcard(parked_set) == 2

    simulate_quota_reset(youtube, redis_client, settings)
    redis_client.zadd(parked_set, dict.fromkeys(redis_client.zrange(parked_set, 0, -1), 0))
    run = client.wait(run_id, timeout=30)

    assert run.counts["DONE"] == 4
    assert all(job.attempts == 1 for job in client.all_jobs(run_id))
    assert youtube.units() == run.units == 4  # two units on each day
    assert redis_client.zcard(parked_set) == 0


def test_retry_starts_a_linked_run_of_the_retryable_failures(
    youtube: FakeYouTube,
    settings: Settings,
    redis_client: redis.Redis,
    worker_env: dict[str, str],
    start_worker,
    tmp_path: Path,
) -> None:
    youtube.add_key(API_KEY, budget=2)
    inputs = [*add_handles(youtube, 4), "not a channel"]
    start_worker(env=QUICK, concurrency=1)
    client = CollectorClient(settings)
    old = client.wait(client.create_run(inputs), timeout=30)
    assert old.counts["FAILED"] == 3
    simulate_quota_reset(youtube, redis_client, settings)

    result = cli(worker_env, tmp_path, "retry", old.run_id, "--wait", "--timeout", "60", "--json")

    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["retry_of"] == old.run_id
    assert [job["input"] for job in document["jobs"]] == inputs[2:4]
    assert document["counts"]["DONE"] == 2
    assert client.get_run(old.run_id).retry_of is None
    again = cli(worker_env, tmp_path, "retry", document["run_id"])
    assert again.returncode == 1
    assert "no retryable failures" in again.stderr


def test_retry_refuses_an_unknown_or_running_run(
    settings: Settings, worker_env: dict[str, str], tmp_path: Path
) -> None:
    running = CollectorClient(settings).create_run(["@nobody"])  # no worker: stays PENDING

    unknown = cli(worker_env, tmp_path, "retry", "no-such-run")
    busy = cli(worker_env, tmp_path, "retry", running)

    assert (unknown.returncode, busy.returncode) == (1, 1)
    assert "no run 'no-such-run'" in unknown.stderr
    assert "still running" in busy.stderr


def test_keys_shows_each_keys_fingerprint_project_state_and_units(
    youtube: FakeYouTube, worker_env: dict[str, str], tmp_path: Path
) -> None:
    youtube.add_key(API_KEY, project="projA")
    youtube.add_key(SECOND_API_KEY, project="projA")
    youtube.add_key(THIRD_API_KEY, state="invalid")
    inputs = add_handles(youtube, 3)
    labelled = f"{API_KEY}@projA,{SECOND_API_KEY}@projA,{THIRD_API_KEY}"
    env = {**worker_env, "YOUTUBE_API_KEYS": labelled}
    assert cli(env, tmp_path, "resolve", *inputs).returncode == 0

    table = cli(env, tmp_path, "keys")
    listed = json.loads(cli(env, tmp_path, "keys", "--json").stdout)

    assert table.returncode == 0, table.stderr
    assert table.stdout.splitlines()[0].split() == [
        "FINGERPRINT", "PROJECT", "STATE", "USED", "TODAY", "LEFT", "SEARCHES",
    ]  # fmt: skip
    rows = {row["fingerprint"]: row for row in listed}
    assert list(rows) == [fingerprint(k) for k in (API_KEY, SECOND_API_KEY, THIRD_API_KEY)]
    first, second, third = rows.values()
    assert (first["project"], first["state"]) == ("projA", "usable")
    assert first["project_units_today"] == second["project_units_today"] == 3
    assert first["units_today"] + second["units_today"] == 3
    assert first["units_left"] == second["units_left"] == 10_000 - 3
    assert (third["project"], third["state"]) == (None, "disabled (API_KEY_INVALID)")
    assert_no_key_in(table.stdout, table.stderr, json.dumps(listed))


def test_a_run_record_says_what_it_retries(settings: Settings) -> None:
    client = CollectorClient(settings)
    run_id = client.create_run(["@a"])
    run: Run = client.get_run(run_id)
    assert run.retry_of is None and run.to_dict()["retry_of"] is None
