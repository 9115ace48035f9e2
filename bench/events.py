"""What run events cost a job, and what they buy a waiter.

    python -m bench.events --jobs 2000 --runs 40   (REDIS_URL picks the database; FLUSHDB'd)

1. Transition cost: a job's start + finish (two Lua steps that also append an event to two
   streams and count metrics) against two no-op Lua calls, in alternating batches.
2. Wake-up latency: from a run's last job finishing to its waiter returning, for the
   event-driven ``client.wait`` (XREAD BLOCK) against the polling loop it replaced (get_run
   every 0.2 s), run after run.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import threading
import time
from collections.abc import Callable

import redis

from collector.client import CollectorClient
from collector.config import Settings
from collector.models import JobStatus

POLL_INTERVAL = 0.2  # what CollectorClient.wait slept between reads before it used events


def transition_cost(client: CollectorClient, jobs: int, batch: int = 100) -> tuple[float, float]:
    """Seconds per job for start + finish, and for two no-op scripts (the round trips alone)."""
    store = client.store
    noop = store.redis.register_script("return 1")
    store.write_run("bench", [f"@name{i}" for i in range(jobs)])
    spent = {"transitions": 0.0, "no-op": 0.0}
    for first in range(0, jobs, batch):
        began = time.perf_counter()
        for job_id in map(str, range(first, min(jobs, first + batch))):
            store.start_job("bench", job_id)
            store.finish_job(
                "bench", job_id, JobStatus.DONE, channel_id="UC1", units=1, duration=0.1
            )
        spent["transitions"] += time.perf_counter() - began
        began = time.perf_counter()
        for _ in range(first, min(jobs, first + batch)):
            noop(keys=[], args=[])
            noop(keys=[], args=[])
        spent["no-op"] += time.perf_counter() - began
    return spent["transitions"] / jobs, spent["no-op"] / jobs


def wake_latencies(
    client: CollectorClient, runs: int, wait: Callable[[str], object]
) -> list[float]:
    """For each run: seconds from its last job finishing to ``wait`` returning."""
    store = client.store
    rng = random.Random(3)
    latencies = []
    for _ in range(runs):
        run_id = f"wake-{rng.random()}"
        store.write_run(run_id, ["@a"])
        store.start_job(run_id, "0")
        finished_at: list[float] = []

        def finish(run_id: str = run_id, finished_at: list[float] = finished_at) -> None:
            time.sleep(rng.uniform(0.05, 0.3))
            store.finish_job(run_id, "0", JobStatus.DONE)
            finished_at.append(time.perf_counter())

        finisher = threading.Thread(target=finish)
        finisher.start()
        wait(run_id)
        returned = time.perf_counter()
        finisher.join()
        latencies.append(returned - finished_at[0])
    return latencies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()

    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/13")
    redis.Redis.from_url(redis_url).flushdb()
    client = CollectorClient(Settings(redis_url=redis_url))

    per_job, per_noop = transition_cost(client, args.jobs)
    print(f"transitions: start + finish {per_job * 1000:.3f} ms a job, two no-op scripts "
          f"{per_noop * 1000:.3f} ms: {per_job / per_noop:.2f}x")  # fmt: skip

    def poll(run_id: str) -> None:
        while not client.get_run(run_id).is_complete:
            time.sleep(POLL_INTERVAL)

    polled = wake_latencies(client, args.runs, poll)
    evented = wake_latencies(client, args.runs, lambda run_id: client.wait(run_id, timeout=10))
    for name, latencies in (("polling (baseline)", polled), ("events", evented)):
        median, worst = statistics.median(latencies) * 1000, max(latencies) * 1000
        print(f"wake-up after completion, {name}: median {median:.1f} ms, max {worst:.1f} ms")
    ratio = statistics.median(polled) / statistics.median(evented)
    print(f"events wake a waiter {ratio:.0f}x sooner than polling (median)")
    redis.Redis.from_url(redis_url).flushdb()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
