"""Memory: a worker's RSS, sampled every 10,000 jobs of one long run, against bare Celery.

One run of N fresh channel ids (default 100,000; ids are fetched 50 to a call, so the fake API
stays light beside the worker) through a threads-pool worker and a fake API that answers at
once; the worker's resident memory (its whole process tree) is read each time another
``--every`` jobs are done, and compared with the first sample (after warm-up). The same
number of bare Celery tasks, on an app configured as ours, is sampled the same way.

    python -m bench.memory [--jobs 100000] [--every 10000] [--pool threads] [--concurrency 100]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

import redis

from collector.client import CollectorClient
from collector.config import Settings
from tests.fake_youtube import FakeYouTube

from ._common import (
    API_KEY,
    QUEUE,
    UNACKED,
    bench_settings,
    describe_machine,
    empty_database,
    fill_bare_queue,
    fresh_channel_ids,
    queue_drained,
    rss_bytes,
    running_worker,
)

# The target: flat within 10% after warm-up.
TOLERANCE = 0.10


def sample(
    settings: Settings, args: argparse.Namespace, *, app: str, done: Callable[[], int]
) -> list[tuple[int, float]]:
    """Start a worker on the filled queue; (jobs done, RSS MiB) at each multiple of ``every``."""
    samples: list[tuple[int, float]] = []
    env = {"BENCH_LATENCY": "0"}
    pool, concurrency, jobs, every = args.pool, args.concurrency, args.jobs, args.every
    with running_worker(settings, pool=pool, concurrency=concurrency, app=app, env=env) as worker:
        pid = worker.process.pid
        checkpoint = every
        while checkpoint <= jobs:
            if worker.process.poll() is not None:
                raise RuntimeError(f"the worker exited:\n{worker.log()[-3000:]}")
            count = done()
            if count >= checkpoint:
                samples.append((count, rss_bytes(pid) / 2**20))
                print(f"    {count:>7} jobs: {samples[-1][1]:.1f} MiB", flush=True)
                checkpoint += every
            else:
                time.sleep(0.05)
    return samples


def pipeline(fake: FakeYouTube, args: argparse.Namespace) -> list[tuple[int, float]]:
    settings = bench_settings(fake.base_url)
    fake.reset()
    fake.add_key(API_KEY, budget=10**9)
    ids = fresh_channel_ids(args.jobs)
    for channel_id in ids:
        fake.add_channel(channel_id, title="Bench channel")
    client = empty_database()
    collector = CollectorClient(settings)
    run_id = collector.create_run(ids)
    run_key = collector.store.keys.run(run_id)

    def done() -> int:
        counts = client.hmget(run_key, "DONE", "FAILED")
        return sum(int(c or 0) for c in counts)

    samples = sample(settings, args, app="collector.celery_app", done=done)
    run = collector.get_run(run_id)
    if run.counts["DONE"] != args.jobs:
        raise SystemExit(f"expected every job DONE: {run.counts}")
    return samples


def bare(settings: Settings, args: argparse.Namespace) -> list[tuple[int, float]]:
    client = empty_database()
    fill_bare_queue(settings, args.jobs)

    def done() -> int:
        return args.jobs - in_flight(client)

    samples = sample(settings, args, app="bench._bare_app", done=done)
    if not queue_drained(client):
        raise SystemExit("bare tasks left in the queue")
    return samples


def in_flight(client: redis.Redis) -> int:
    pipe = client.pipeline(transaction=False)
    pipe.llen(QUEUE)
    pipe.hlen(UNACKED)
    return sum(pipe.execute())


def report(name: str, samples: list[tuple[int, float]]) -> float:
    """Print the samples as ratios to the first; returns the largest drift from it."""
    reference = samples[0][1]
    print(f"  {name}: RSS against the first sample ({reference:.1f} MiB after warm-up)")
    for count, mib in samples:
        print(f"    {count:>7} jobs  {mib:>7.1f} MiB  {mib / reference:>5.3f}")
    return max(abs(mib / reference - 1) for _, mib in samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__)
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--every", type=int, default=10_000, help="jobs between samples")
    parser.add_argument("--pool", default="threads")
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--no-bare", action="store_true", help="skip the bare Celery baseline")
    args = parser.parse_args(argv)
    if args.jobs < 2 * args.every:
        parser.error("--jobs must be at least twice --every (one warm-up sample, one more)")

    print(f"machine: {describe_machine(empty_database())}")
    print(f"{args.jobs} jobs, {args.pool} -c {args.concurrency}, API latency 0\n")
    with FakeYouTube() as fake:
        print("  pipeline samples:")
        ours = pipeline(fake, args)
        base = None
        if not args.no_bare:
            print("  bare Celery samples:")
            base = bare(bench_settings(fake.base_url), args)
    empty_database()
    drift = report("pipeline", ours)
    if base is not None:
        report("bare Celery", base)
        print(
            f"  pipeline RSS / bare RSS: first {ours[0][1] / base[0][1]:.2f}, "
            f"last {ours[-1][1] / base[-1][1]:.2f}"
        )
    met = drift <= TOLERANCE
    print(
        f"  pipeline drift from the first sample: at most {drift:.1%}; "
        f"target within {TOLERANCE:.0%}: {'met' if met else 'NOT met'}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
