"""What every benchmark shares: its own Redis database, real workers, fresh ids, summaries.

A benchmark empties its database with FLUSHDB, so it never uses ``REDIS_URL`` (which may be a
real deployment's): it uses ``BENCH_REDIS_URL``, by default database 12 on localhost.
"""

from __future__ import annotations

import os
import platform
import secrets
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from tempfile import TemporaryDirectory

import celery
import kombu
import psutil
import redis

from collector.celery_app import make_celery
from collector.config import Settings
from collector.enqueue import TaskMessages, push_task_messages
from collector.store import NewJob
from tests.fake_youtube import FakeYouTube
from tests.workers import WorkerProcess

from ._bare_app import BARE_TASK

ROOT = Path(__file__).resolve().parent.parent
BENCH_REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
API_KEY = "AIzaSyBENCHkey000000000000000000000001"
QUEUE = "collector"
# kombu's Redis transport keeps a delivered, not yet acknowledged message in this hash.
UNACKED = "unacked"


def bench_settings(base_url: str) -> Settings:
    return Settings(
        redis_url=BENCH_REDIS_URL, youtube_api_keys=(API_KEY,), youtube_api_base_url=base_url
    )


def worker_env(settings: Settings, **extra: str) -> dict[str, str]:
    return {
        **extra,
        "REDIS_URL": settings.redis_url,
        "YOUTUBE_API_KEYS": ",".join(settings.youtube_api_keys),
        "YOUTUBE_API_BASE_URL": settings.youtube_api_base_url,
        "RECENT_VIDEOS": "0",  # one API call per job, once recent uploads are collected
        # The fake's key has a budget of its own; ours must not stop a long run at 10,000.
        "YOUTUBE_DAILY_QUOTA": str(10**9),
        "PYTHONPATH": str(ROOT),  # so that ``-A bench._bare_app`` imports
    }


def empty_database() -> redis.Redis:
    client = redis.Redis.from_url(BENCH_REDIS_URL, decode_responses=True)
    client.flushdb()
    return client


def fresh_handles(count: int) -> list[str]:
    """Handles never seen before, so no cache helps; unlike ids, handles are not batched, so
    each job makes its own channels.list call."""
    prefix = secrets.token_hex(4)
    return [f"@b{prefix}{index}" for index in range(count)]


def fresh_channel_ids(count: int) -> list[str]:
    """Channel ids never seen before (``UC`` + 22 URL-safe characters), so no cache helps."""
    return ["UC" + secrets.token_urlsafe(17)[:22] for _ in range(count)]


def add_channels(fake: FakeYouTube, handles: list[str]) -> None:
    for handle in handles:
        fake.add_channel(title="Bench channel", handle=handle)


@contextmanager
def running_worker(
    settings: Settings,
    *,
    pool: str,
    concurrency: int,
    app: str = "collector.celery_app",
    env: dict[str, str] | None = None,
) -> Iterator[WorkerProcess]:
    """A real worker subprocess, started exactly as in the tests; stopped on exit."""
    with TemporaryDirectory(prefix="collector-bench-") as workdir:
        worker = WorkerProcess(
            Path(workdir),
            env=worker_env(settings, **(env or {})),
            pool=pool,
            concurrency=concurrency,
            app=app,
            wait_ready=False,
        )
        try:
            yield worker
        finally:
            worker.stop()


def fill_bare_queue(settings: Settings, jobs: int) -> None:
    """Queue ``jobs`` bare tasks with arguments shaped like a collector job's."""
    fill_baseline_queue(settings, BARE_TASK, ["UC" + "x" * 22] * jobs)


def fill_baseline_queue(settings: Settings, task_name: str, identifiers: Sequence[str]) -> None:
    """Queue one ``task_name`` message per identifier, with a collector job's arguments."""
    messages = TaskMessages(make_celery(settings), QUEUE, task_name=task_name)
    jobs_list = [NewJob(str(i), identifier) for i, identifier in enumerate(identifiers)]
    pipe = redis.Redis.from_url(BENCH_REDIS_URL).pipeline(transaction=False)
    push_task_messages(pipe, messages, "bench", jobs_list)
    pipe.execute()


def process_tree(pid: int) -> list[psutil.Process]:
    parent = psutil.Process(pid)
    return [parent, *parent.children(recursive=True)]


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process and all its live children."""
    total = 0.0
    for process in process_tree(pid):
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def rss_bytes(pid: int) -> int:
    total = 0
    for process in process_tree(pid):
        try:
            total += process.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total


def wait_until(
    condition: Callable[[], bool], worker: WorkerProcess, *, interval: float, timeout: float
) -> float:
    """Poll until ``condition()`` while the worker lives; the monotonic time it first held."""
    deadline = time.monotonic() + timeout
    while not condition():
        if worker.process.poll() is not None:
            raise RuntimeError(f"the worker exited:\n{worker.log()[-3000:]}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"not done after {timeout:g} s:\n{worker.log()[-3000:]}")
        time.sleep(interval)
    return time.monotonic()


def queue_drained(client: redis.Redis) -> bool:
    """Every message taken and acknowledged: nothing queued, nothing in flight."""
    pipe = client.pipeline(transaction=False)
    pipe.llen(QUEUE)
    pipe.hlen(UNACKED)
    queued, unacked = pipe.execute()
    return bool(queued == 0 and unacked == 0)


def spread(values: Sequence[float]) -> str:
    """Median and range, e.g. ``0.95 (0.93-0.97)``."""
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def describe_machine(client: redis.Redis) -> str:
    memory = psutil.virtual_memory().total / 2**30
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    server = client.info("server")["redis_version"]
    return (
        f"{psutil.cpu_count()} CPUs ({platform.machine()}), {memory:.0f} GiB RAM, "
        f"Python {platform.python_version()}, Celery {celery.__version__}, "
        f"kombu {kombu.__version__}, Redis {server} (local); load average before: {load}"
    )
