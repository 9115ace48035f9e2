"""Damage done for real: killed workers, SIGTERM, duplicates, races, a Redis restart.

Each test runs real worker processes with short recovery settings, so the times below are
seconds, not the production minutes.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from collector.client import CollectorClient
from collector.config import Settings
from collector.enqueue import enqueue_jobs
from collector.models import JobStatus, RunStatus
from collector.store import NewJob
from tests.fake_youtube import FakeYouTube
from tests.workers import wait_until

pytestmark = pytest.mark.slow

# Short limits that keep the required order (soft < hard < visibility, lease > hard, and one
# API call's worst case with its retries under the soft limit).
FAST_RECOVERY = {
    "COLLECTOR_TASK_SOFT_TIME_LIMIT": "15",
    "COLLECTOR_TASK_TIME_LIMIT": "17",
    "COLLECTOR_VISIBILITY_TIMEOUT": "20",
    "COLLECTOR_JOB_LEASE_SECONDS": "18",
    "COLLECTOR_REAPER_INTERVAL": "1",
    "COLLECTOR_UNACKED_RESTORE_INTERVAL": "1",
    "COLLECTOR_HTTP_CONNECT_TIMEOUT": "1",
    "COLLECTOR_HTTP_READ_TIMEOUT": "5",
    "YOUTUBE_RETRY_ATTEMPTS": "2",
    "YOUTUBE_RETRY_MAX_DELAY": "1",
    # One API call per job, as these tests count held requests: no recent uploads, and no
    # data cache, which also turns off batching channels across jobs.
    "RECENT_VIDEOS": "0",
    "CHANNEL_DATA_MAX_AGE": "0",
}


def channel_ids(count: int, start: int = 0) -> list[str]:
    return [f"UC{n:022d}" for n in range(start, start + count)]


@pytest.fixture
def channels(youtube: FakeYouTube) -> list[str]:
    ids = channel_ids(40)
    for channel_id in ids:
        youtube.add_channel(channel_id)
    return ids


@pytest.fixture
def client(settings: Settings) -> CollectorClient:
    return CollectorClient(settings)


def completions(log_text: str, run_id: str) -> int:
    return len(re.findall(rf"run {run_id} COMPLETED", log_text))


def assert_all_done(client: CollectorClient, run_id: str, total: int) -> None:
    run = client.get_run(run_id)
    assert run.status is RunStatus.COMPLETED
    assert run.counts == {"PENDING": 0, "PROCESSING": 0, "DONE": total, "FAILED": 0}
    assert all(job.status is JobStatus.DONE for job in client.all_jobs(run_id))


def test_a_killed_pool_child_hands_its_job_back(youtube, channels, client, start_worker) -> None:
    worker = start_worker(concurrency=1, env=FAST_RECOVERY)
    youtube.hold()
    run_id = client.create_run(channels[:1])
    wait_until(lambda: youtube.held_count() == 1, 20, "the job is mid-flight")

    (child,) = worker.pool_children()
    os.kill(child, signal.SIGKILL)
    youtube.release()

    client.wait(run_id, timeout=20)
    assert_all_done(client, run_id, 1)
    assert client.get_jobs(run_id)[0].attempts == 2


def test_a_whole_worker_killed_leaves_no_job_behind(
    youtube, channels, client, start_worker
) -> None:
    doomed = start_worker(concurrency=2, env=FAST_RECOVERY)
    youtube.hold()
    run_id = client.create_run(channels[:10])
    wait_until(lambda: youtube.held_count() == 2, 20, "the doomed worker is busy")
    survivor = start_worker(concurrency=2, env=FAST_RECOVERY)

    doomed.kill()  # main process and children at once: nothing is handed back
    youtube.release()

    # Recovery bound here: visibility timeout (20 s) + restore sweep (1 s), or lease + reaper.
    client.wait(run_id, timeout=60)
    assert_all_done(client, run_id, 10)
    assert completions(survivor.log(), run_id) == 1


def test_a_job_that_kills_its_worker_every_time_ends_worker_lost(
    youtube, channels, client, start_worker
) -> None:
    worker = start_worker(concurrency=1, env={**FAST_RECOVERY, "COLLECTOR_MAX_ATTEMPTS": "2"})
    youtube.hold()
    run_id = client.create_run(channels[:1])
    for _ in range(2):
        wait_until(lambda: youtube.held_count() == 1, 15, "the poison job is running")
        for child in worker.pool_children():
            os.kill(child, signal.SIGKILL)
        youtube.release()  # the dead attempt's request goes; the next one is held again
        wait_until(lambda: youtube.held_count() == 0, 5, "the dead request is gone")
        youtube.hold()

    run = client.wait(run_id, timeout=20)
    youtube.release()
    job = client.get_jobs(run_id)[0]
    assert run.counts["FAILED"] == 1
    assert job.error is not None and job.error["code"] == "worker_lost", job.error
    assert job.attempts == 3


def test_sigterm_lets_running_jobs_finish_and_hands_back_the_rest(
    youtube, channels, client, start_worker
) -> None:
    worker = start_worker(concurrency=2, env=FAST_RECOVERY)
    youtube.hold()
    run_id = client.create_run(channels[:6])
    wait_until(lambda: youtube.held_count() == 2, 20, "two jobs are running")

    worker.process.send_signal(signal.SIGTERM)
    worker.wait_for_log("worker: Warm shutdown", timeout=10)
    youtube.release()
    assert worker.process.wait(20) == 0

    run = client.get_run(run_id)
    assert run.counts["PROCESSING"] == 0
    assert run.counts["DONE"] == 2 and run.counts["PENDING"] == 4  # handed back, not lost
    start_worker(concurrency=2, env=FAST_RECOVERY)
    client.wait(run_id, timeout=20)
    assert_all_done(client, run_id, 6)


def test_duplicate_deliveries_record_one_result(
    youtube, channels, client, settings, start_worker
) -> None:
    worker = start_worker(concurrency=2, env=FAST_RECOVERY)
    youtube.hold()
    run_id = client.create_run(channels[:1])
    duplicate = [NewJob(job_id="0", identifier=channels[0])]
    enqueue_jobs(client.celery, settings.queue, run_id, duplicate)  # concurrent duplicate
    wait_until(lambda: youtube.held_count() == 2, 20, "both deliveries are running")
    youtube.release()
    client.wait(run_id, timeout=20)
    wait_until(lambda: "dropped" in worker.log(), 10, "the second result is dropped")
    first = (client.get_run(run_id), client.get_jobs(run_id))

    enqueue_jobs(client.celery, settings.queue, run_id, duplicate)  # a late duplicate
    wait_until(lambda: "not processed: terminal" in worker.log(), 10, "the late one is seen")

    assert (client.get_run(run_id), client.get_jobs(run_id)) == first
    assert first[0].counts["DONE"] == 1
    assert completions(worker.log(), run_id) == 1


def test_runs_finishing_together_complete_exactly_once(youtube, client, start_worker) -> None:
    ids = channel_ids(24, start=100)
    for channel_id in ids:
        youtube.add_channel(channel_id)
    workers = [start_worker(concurrency=4, env=FAST_RECOVERY) for _ in range(2)]
    for round_ in range(3):
        youtube.hold()
        batch = ids[round_ * 8 : round_ * 8 + 8]
        run_ids = [client.create_run(batch[i : i + 2]) for i in range(0, 8, 2)]
        wait_until(lambda: youtube.held_count() == 8, 30, "every last job is mid-flight")
        youtube.release()  # all eight finish at the same moment
        for run_id in run_ids:
            run = client.wait(run_id, timeout=20)
            assert run.counts == {"PENDING": 0, "PROCESSING": 0, "DONE": 2, "FAILED": 0}
            assert run.completed_at
            logs = "".join(worker.log() for worker in workers)
            wait_until(lambda r=run_id: completions(
                "".join(w.log() for w in workers), r) >= 1, 5, "completion logged")  # fmt: skip
            logs = "".join(worker.log() for worker in workers)
            assert completions(logs, run_id) == 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """A redis-server of the test's own, with append-only persistence in a folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--appendonly", "yes", "--appendfsync", "always", "--save", "",
             "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis.from_url(self.url)
        wait_until(lambda: _answers(client), 10, "redis-server answers")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # saves and exits
            self.process.wait(10)


def _answers(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


def test_a_redis_restart_mid_run_loses_no_job(
    youtube, channels, settings, own_redis, start_worker
) -> None:
    youtube.latency = 0.1
    restart_settings = Settings(**{**settings.__dict__, "redis_url": own_redis.url})
    client = CollectorClient(restart_settings)
    env = {**FAST_RECOVERY, "REDIS_URL": own_redis.url}
    workers = [start_worker(concurrency=2, env=env) for _ in range(2)]
    run_id = client.create_run(channels[:40])
    wait_until(lambda: client.get_run(run_id).counts["DONE"] >= 5, 20, "the run is under way")

    own_redis.stop()
    own_redis.start()

    client.wait(run_id, timeout=60)
    assert_all_done(client, run_id, 40)
    # Workers reconnect by themselves, except that kombu 5.7 can die closing its broken
    # connection when Redis vanished in the middle of an acknowledgement (AttributeError in
    # _connparams; seen in about one run in five under load). The compose restart policy covers
    # that case, and no job is lost either way.
    survivors = [worker for worker in workers if worker.process.poll() is None]
    assert survivors
    for worker in workers:
        if worker not in survivors:
            assert "Unrecoverable error: AttributeError" in worker.log(), worker.log()[-3000:]


def test_the_chaos_soak_loses_duplicates_and_strands_nothing(redis_url: str, redis_client) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.soak", "--jobs", "300", "--timeout", "240"],
        capture_output=True, text=True, timeout=300, cwd=Path(__file__).resolve().parent.parent,
        env={**os.environ, "REDIS_URL": redis_url},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert "lost 0, duplicated 0, stuck 0" in result.stdout, result.stdout
    assert "run COMPLETED, counts agree: True" in result.stdout
