"""Throughput: jobs through the whole pipeline against bare Celery tasks that only wait.

For each pool, in the same invocation and on the same Redis: (a) a run of fresh handles (one
``channels.list`` call each, with ``RECENT_VIDEOS=0``: handles are not batched) through
``create_run`` and a real worker, every call answered by the fake YouTube API after
``--latency`` seconds; (b) as many bare Celery tasks that only sleep that long, on an app
configured as ours, with the same pool and concurrency; (c) as many "floor" tasks, the least
a job could do (a start script, the API call, a finish script: see ``bench._bare_app``), which
shows how much of the gap between (a) and (b) is I/O no implementation can skip. The queue is
filled before the worker starts; the clock runs from its first taken message to its last
acknowledged one.

    python -m bench.throughput [--rounds 2] [--latency 0.1] [--pools prefork:8:1000,...]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from collector.client import CollectorClient
from collector.config import Settings
from collector.models import RunStatus
from tests.fake_youtube import FakeYouTube

from ._bare_app import FLOOR_TASK
from ._common import (
    API_KEY,
    QUEUE,
    add_channels,
    bench_settings,
    cpu_seconds,
    describe_machine,
    empty_database,
    fill_bare_queue,
    fill_baseline_queue,
    fresh_handles,
    queue_drained,
    rss_bytes,
    running_worker,
    spread,
    wait_until,
)

# pool: the ratio pipeline/bare it must reach (the targets).
TARGETS = {"prefork": 0.9, "threads": 0.7}
DEFAULT_POOLS = "prefork:8:1000,threads:100:5000"


@dataclass(frozen=True)
class Figures:
    jobs_per_second: float
    cpu_ms_per_job: float
    rss_mib: float
    # This process's CPU: the fake API's threads serving the pipeline, and the polling.
    fake_cpu_ms_per_job: float


def measure(
    settings: Settings,
    *,
    pool: str,
    concurrency: int,
    jobs: int,
    app: str,
    fill: Callable[[], None],
    latency: float,
) -> Figures:
    """Fill the queue, start a worker, time it from its first message to its last ack."""
    client = empty_database()
    fill()
    env = {"BENCH_LATENCY": str(latency)}
    with running_worker(settings, pool=pool, concurrency=concurrency, app=app, env=env) as worker:
        pid = worker.process.pid
        began = wait_until(lambda: client.llen(QUEUE) < jobs, worker, interval=0.002, timeout=120)
        cpu_before, own_before = cpu_seconds(pid), time.process_time()
        ended = wait_until(lambda: queue_drained(client), worker, interval=0.02, timeout=1800)
        cpu_used, own_used = cpu_seconds(pid) - cpu_before, time.process_time() - own_before
        rss = rss_bytes(pid)
    per_job = 1000 / jobs
    return Figures(jobs / (ended - began), cpu_used * per_job, rss / 2**20, own_used * per_job)


def fresh_fake(fake: FakeYouTube, jobs: int, latency: float) -> list[str]:
    """Forget earlier calls; ``jobs`` new handles, each a channel of the fake's."""
    fake.reset()
    fake.add_key(API_KEY, budget=10**9)
    fake.latency = latency
    ids = fresh_handles(jobs)
    add_channels(fake, ids)
    return ids


def check_one_call_each(fake: FakeYouTube, jobs: int) -> None:
    if fake.calls("channels.list") != jobs:
        raise SystemExit(f"expected one API call per job, saw {fake.calls('channels.list')}")


def pipeline(fake: FakeYouTube, pool: str, concurrency: int, jobs: int, latency: float) -> Figures:
    settings = bench_settings(fake.base_url)
    ids = fresh_fake(fake, jobs, latency)
    collector = CollectorClient(settings)
    run_ids: list[str] = []

    figures = measure(
        settings,
        pool=pool,
        concurrency=concurrency,
        jobs=jobs,
        app="collector.celery_app",
        fill=lambda: run_ids.append(collector.create_run(ids)),
        latency=latency,
    )
    run = collector.get_run(run_ids[0])
    if run.status is not RunStatus.COMPLETED or run.counts["DONE"] != jobs:
        raise SystemExit(f"the run did not complete with every job DONE: {run}")
    check_one_call_each(fake, jobs)
    return figures


def floor(fake: FakeYouTube, pool: str, concurrency: int, jobs: int, latency: float) -> Figures:
    settings = bench_settings(fake.base_url)
    ids = fresh_fake(fake, jobs, latency)
    figures = measure(
        settings,
        pool=pool,
        concurrency=concurrency,
        jobs=jobs,
        app="bench._bare_app",
        fill=lambda: fill_baseline_queue(settings, FLOOR_TASK, ids),
        latency=latency,
    )
    check_one_call_each(fake, jobs)
    return figures


def bare(settings: Settings, pool: str, concurrency: int, jobs: int, latency: float) -> Figures:
    def fill() -> None:
        fill_bare_queue(settings, jobs)

    return measure(
        settings,
        pool=pool,
        concurrency=concurrency,
        jobs=jobs,
        app="bench._bare_app",
        fill=fill,
        latency=latency,
    )


def parse_pools(text: str) -> list[tuple[str, int, int]]:
    """``prefork:8:1000,threads:100:5000`` -> [(pool, concurrency, jobs), ...]."""
    pools = []
    for part in text.split(","):
        pool, concurrency, jobs = part.split(":")
        pools.append((pool, int(concurrency), int(jobs)))
    return pools


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.throughput", description=__doc__)
    parser.add_argument("--pools", default=DEFAULT_POOLS, help="pool:concurrency:jobs,...")
    parser.add_argument("--latency", type=float, default=0.1, help="fake API reply latency (s)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds per pool")
    args = parser.parse_args(argv)

    print(f"machine: {describe_machine(empty_database())}")
    print(f"fake YouTube API latency {args.latency * 1000:.0f} ms; one API call per job\n")
    header = (
        f"{'pool':<8} {'-c':>4} {'jobs':>6} {'round':>5}  {'bare/s':>7} {'floor/s':>7} "
        f"{'pipeline/s':>10}  {'ratio':>5} {'floor/bare':>10}  "
        f"{'worker CPU ms/job: bare':>23} {'floor':>5} {'pipeline':>8}  "
        f"{'fake API CPU ms/job':>19}  {'RSS MiB: bare':>13} {'pipeline':>8}"
    )
    print(header)
    verdicts = []
    with FakeYouTube() as fake:
        for pool, concurrency, jobs in parse_pools(args.pools):
            ratios, floor_ratios = [], []
            for round_number in range(1, args.rounds + 1):
                base = bare(bench_settings(fake.base_url), pool, concurrency, jobs, args.latency)
                least = floor(fake, pool, concurrency, jobs, args.latency)
                ours = pipeline(fake, pool, concurrency, jobs, args.latency)
                ratios.append(ours.jobs_per_second / base.jobs_per_second)
                floor_ratios.append(least.jobs_per_second / base.jobs_per_second)
                print(
                    f"{pool:<8} {concurrency:>4} {jobs:>6} {round_number:>5}  "
                    f"{base.jobs_per_second:>7.1f} {least.jobs_per_second:>7.1f} "
                    f"{ours.jobs_per_second:>10.1f}  {ratios[-1]:>5.2f} {floor_ratios[-1]:>10.2f}  "
                    f"{base.cpu_ms_per_job:>23.2f} {least.cpu_ms_per_job:>5.2f} "
                    f"{ours.cpu_ms_per_job:>8.2f}  {ours.fake_cpu_ms_per_job:>19.2f}  "
                    f"{base.rss_mib:>13.0f} {ours.rss_mib:>8.0f}",
                    flush=True,
                )
            target = TARGETS.get(pool)
            met = target is None or statistics.median(ratios) >= target
            verdicts.append(met)
            goal = f"target >= {target}: {'met' if met else 'NOT met'}" if target else "no target"
            print(
                f"  {pool} -c {concurrency}: pipeline/bare {spread(ratios)}; {goal}; "
                f"floor/bare {spread(floor_ratios)}\n"
            )
    empty_database()
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
