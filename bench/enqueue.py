"""Accepting a run: ``create_run`` against an ``apply_async`` loop over the same messages.

Each round, on an empty database and with no worker: ``create_run`` of N identifiers (the
run's state and its messages, written directly to Redis), the same run's messages published
through kombu in batches on one connection (the path taken when the broker is another server),
and then one ``apply_async`` per message, as a backend would without this package.

    python -m bench.enqueue [--jobs 10000] [--rounds 2]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from collector.celery_app import TASK_NAME
from collector.client import CollectorClient
from collector.enqueue import enqueue_jobs, job_kwargs, writes_messages_directly
from collector.store import NewJob

from ._common import QUEUE, bench_settings, describe_machine, empty_database, spread

# The targets: create_run of 10,000 ids within 3 s, and 3 times faster than the loop.
TARGET_SECONDS = 3.0
TARGET_SPEEDUP = 3.0


def one_round(jobs: int) -> tuple[float, float, float]:
    """Seconds for create_run, the kombu batch, and the apply_async loop."""
    client = empty_database()
    settings = bench_settings("http://127.0.0.1:1/youtube/v3")  # no API is called
    collector = CollectorClient(settings)
    app = collector.celery
    assert writes_messages_directly(app, settings)
    identifiers = [f"@bench_handle_{i}" for i in range(jobs)]
    client.ping()
    collector.store.redis.ping()

    began = time.perf_counter()
    run_id = collector.create_run(identifiers)
    direct = time.perf_counter() - began
    assert client.llen(QUEUE) == jobs
    client.delete(QUEUE)

    new_jobs = [NewJob(str(i), text) for i, text in enumerate(identifiers)]
    began = time.perf_counter()
    enqueue_jobs(app, settings.queue, run_id, new_jobs)
    batched = time.perf_counter() - began
    assert client.llen(QUEUE) == jobs
    client.delete(QUEUE)

    began = time.perf_counter()
    for job in new_jobs:
        app.signature(TASK_NAME).apply_async(kwargs=job_kwargs(run_id, job), queue=QUEUE)
    looped = time.perf_counter() - began
    assert client.llen(QUEUE) == jobs
    empty_database()
    return direct, batched, looped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.enqueue", description=__doc__)
    parser.add_argument("--jobs", type=int, default=10_000, help="identifiers in the run")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)

    print(f"machine: {describe_machine(empty_database())}\n")
    print(
        f"{'jobs':>6} {'round':>5}  {'create_run s':>12} {'kombu batch s':>13} "
        f"{'apply_async loop s':>18}  {'loop/create_run':>15} {'loop/batch':>10}"
    )
    speedups, seconds = [], []
    for round_number in range(1, args.rounds + 1):
        direct, batched, looped = one_round(args.jobs)
        speedups.append(looped / direct)
        seconds.append(direct)
        print(
            f"{args.jobs:>6} {round_number:>5}  {direct:>12.2f} {batched:>13.2f} "
            f"{looped:>18.2f}  {looped / direct:>15.1f} {looped / batched:>10.1f}",
            flush=True,
        )
    met = statistics.median(seconds) <= TARGET_SECONDS and statistics.median(speedups) >= 3
    print(
        f"  create_run is {spread(speedups)} times faster than the loop, in {spread(seconds)} s; "
        f"target <= {TARGET_SECONDS:g} s and >= {TARGET_SPEEDUP:g}x: {'met' if met else 'NOT met'}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
