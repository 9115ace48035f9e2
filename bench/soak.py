"""Upstream chaos soak: N jobs through several workers while the fake API misbehaves and one
worker is killed and restarted. Prints what became of every job; lost, duplicated and stuck
must be 0.

    python -m bench.soak --jobs 2000        (REDIS_URL picks the database; it is FLUSHDB'd)
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import re
import sys
import tempfile
import time
from pathlib import Path

import redis

from collector.client import CollectorClient
from collector.config import Settings
from collector.models import JobStatus
from tests.fake_youtube import FakeYouTube
from tests.workers import WorkerProcess

CHAOS = {
    "500": 0.03,
    "503": 0.02,
    "429": 0.03,
    "rateLimitExceeded": 0.01,
    "timeout": 0.005,
    "reset": 0.01,
    "truncated": 0.02,
    "malformed": 0.01,
    "quotaExceeded": 0.001,
}
KEYS = [f"AIzaSySOAKkey{n:026d}" for n in range(40)]
# Recovery in seconds rather than minutes; one API call's worst case (3 attempts of 1 + 2 s,
# two 1 s pauses) stays under the soft limit.
RECOVERY = {
    "COLLECTOR_TASK_SOFT_TIME_LIMIT": "20",
    "COLLECTOR_TASK_TIME_LIMIT": "25",
    "COLLECTOR_VISIBILITY_TIMEOUT": "30",
    "COLLECTOR_JOB_LEASE_SECONDS": "28",
    "COLLECTOR_REAPER_INTERVAL": "2",
    "COLLECTOR_UNACKED_RESTORE_INTERVAL": "2",
    "COLLECTOR_HTTP_CONNECT_TIMEOUT": "1",
    "COLLECTOR_HTTP_READ_TIMEOUT": "2",
    "YOUTUBE_RETRY_ATTEMPTS": "3",
    "YOUTUBE_RETRY_MAX_DELAY": "1",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()

    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/13")
    redis.Redis.from_url(redis_url).flushdb()
    workdir = Path(tempfile.mkdtemp(prefix="soak-"))
    rng = random.Random(args.seed)

    with FakeYouTube(latency=0.01) as fake:
        for key in KEYS:
            fake.add_key(key)
        ids = [f"UC{rng.getrandbits(120):022x}"[:24] for _ in range(args.jobs)]
        for channel_id in ids:
            fake.add_channel(channel_id)
        fake.set_chaos(CHAOS, seed=args.seed)
        env = {
            **RECOVERY,
            "REDIS_URL": redis_url,
            "YOUTUBE_API_KEYS": ",".join(KEYS),
            "YOUTUBE_API_BASE_URL": fake.base_url,
        }
        settings = Settings(redis_url=redis_url, youtube_api_base_url=fake.base_url)
        client = CollectorClient(settings)
        workers = [_worker(workdir, env, args.concurrency) for _ in range(args.workers)]
        began = time.monotonic()
        run_id = client.create_run(ids)

        # Kill one worker outright once a quarter of the run is done, then start another.
        _wait(lambda: _finished(client, run_id) >= args.jobs // 4, args.timeout)
        workers[0].kill()
        workers.append(_worker(workdir, env, args.concurrency))

        deadline = began + args.timeout
        while not client.get_run(run_id).is_complete and time.monotonic() < deadline:
            time.sleep(0.5)
        elapsed = time.monotonic() - began
        for worker in workers:
            worker.stop()
        print(_report(client, run_id, args.jobs, workers, elapsed))
        return 0


def _worker(workdir: Path, env: dict[str, str], concurrency: int) -> WorkerProcess:
    return WorkerProcess(workdir, env=env, concurrency=concurrency)


def _finished(client: CollectorClient, run_id: str) -> int:
    counts = client.get_run(run_id).counts
    return counts["DONE"] + counts["FAILED"]


def _wait(condition: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:  # type: ignore[operator]
        time.sleep(0.2)


def _report(
    client: CollectorClient, run_id: str, total: int, workers: list[WorkerProcess], elapsed: float
) -> str:
    jobs = client.all_jobs(run_id)
    by_status = collections.Counter(job.status for job in jobs)
    failed_by_code = collections.Counter(
        job.error["code"] for job in jobs if job.status is JobStatus.FAILED and job.error
    )
    # A result is "recorded" once per job; more than once would be a duplicate.
    recorded = collections.Counter(
        match.group(1)
        for worker in workers
        for match in re.finditer(rf"job {run_id}/(\d+) recorded", worker.log())
    )
    duplicated = sum(1 for count in recorded.values() if count > 1)
    lost = (total - len(jobs)) + by_status[JobStatus.PENDING]
    stuck = by_status[JobStatus.PROCESSING]
    run = client.get_run(run_id)
    counts_agree = run.counts == {str(status): by_status[status] for status in JobStatus}
    codes = ", ".join(f"{code} {n}" for code, n in sorted(failed_by_code.items())) or "none"
    return (
        f"jobs {total}, done {by_status[JobStatus.DONE]}, failed {by_status[JobStatus.FAILED]} "
        f"({codes}), lost {lost}, duplicated {duplicated}, stuck {stuck}; "
        f"run {run.status}, counts agree: {counts_agree}, {elapsed:.0f} s, "
        f"{len(workers)} workers started, one killed"
    )


if __name__ == "__main__":
    sys.exit(main())
