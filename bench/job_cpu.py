"""A job's own CPU: jobs run one after another in one thread, against the floor's run the same way.

No worker and no Celery: ``process_job`` (the task's body) in a loop in this process, for fresh
handles (one ``channels.list`` call each, ``RECENT_VIDEOS=0``) answered at once by the fake
YouTube API, and the floor's start, call and finish (``bench._bare_app``) the same way, rounds
alternating. The figure is this thread's CPU (``time.thread_time``), which leaves out the
fake's threads; the job's log line goes through the worker's formatter to /dev/null. Steadier
by far than a worker's throughput, it is the figure to watch while trimming a job's CPU; what
that is worth under a pool, ``bench.throughput`` says.

    python -m bench.job_cpu [--jobs 3000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager

from collector.client import CollectorClient
from collector.logs import configure_handlers
from collector.processing import process_job
from collector.runtime import Runtime, build_runtime
from tests.fake_youtube import FakeYouTube

from ._bare_app import floor_job
from ._common import (
    API_KEY,
    add_channels,
    bench_settings,
    describe_machine,
    empty_database,
    fresh_handles,
    spread,
)

WARM_UP = 200


@contextmanager
def logging_like_a_worker(secrets: tuple[str, ...], log_format: str) -> Iterator[None]:
    """Root logs at INFO through the worker's filter and formatter, to /dev/null."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    with open(os.devnull, "w") as devnull:
        root.handlers[:] = [logging.StreamHandler(devnull)]
        root.setLevel(logging.INFO)
        configure_handlers(root.handlers, secrets, log_format)
        try:
            yield
        finally:
            root.handlers[:], level = saved
            root.setLevel(level)


def cpu_ms_per_job(runtime: Runtime, fake: FakeYouTube, jobs: int, do: Callable) -> float:
    """Run ``do(runtime, run_id, job_id, handle)`` for a new run of fresh handles."""
    handles = fresh_handles(WARM_UP + jobs)
    add_channels(fake, handles)
    run_id = CollectorClient(runtime.settings).create_run(handles)
    for index in range(WARM_UP):
        do(runtime, run_id, str(index), handles[index])
    began = time.thread_time()
    for index in range(WARM_UP, WARM_UP + jobs):
        do(runtime, run_id, str(index), handles[index])
    return (time.thread_time() - began) * 1000 / jobs


def pipeline_job(runtime: Runtime, run_id: str, job_id: str, identifier: str) -> None:
    process_job(runtime.store, runtime.resolver, run_id, job_id, identifier)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.job_cpu", description=__doc__)
    parser.add_argument("--jobs", type=int, default=3000, help="jobs a round, after a warm-up")
    parser.add_argument("--rounds", type=int, default=3, help="floor, pipeline pairs")
    args = parser.parse_args(argv)

    print(f"machine: {describe_machine(empty_database())}")
    print(f"{'round':>5}  {'CPU ms/job: floor':>17} {'pipeline':>8}  {'pipeline - floor':>16}")
    extra = []
    with FakeYouTube() as fake:
        fake.add_key(API_KEY, budget=10**9)
        settings = dataclasses.replace(
            bench_settings(fake.base_url), recent_videos=0, youtube_daily_quota=10**9
        )
        runtime = build_runtime(settings, concurrency=1)
        with (
            closing(runtime),
            logging_like_a_worker(settings.youtube_api_keys, settings.log_format),
        ):
            for round_number in range(1, args.rounds + 1):
                floor = cpu_ms_per_job(runtime, fake, args.jobs, floor_job)
                ours = cpu_ms_per_job(runtime, fake, args.jobs, pipeline_job)
                extra.append(ours - floor)
                print(
                    f"{round_number:>5}  {floor:>17.3f} {ours:>8.3f}  {ours - floor:>16.3f}",
                    flush=True,
                )
                empty_database()
                fake.reset()
                fake.add_key(API_KEY, budget=10**9)
    print(f"  a job's own CPU above the floor's: {spread(extra)} ms")
    empty_database()
    return 0


if __name__ == "__main__":
    sys.exit(main())
