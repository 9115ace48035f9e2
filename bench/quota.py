"""Quota units per route, and for a 500-channel run with batching, from the fake's counters.

    COLLECTOR_BENCH_REDIS_URL=redis://127.0.0.1:6379/15 python -m bench.quota

Runs real Celery workers against the fake YouTube API (tests/fake_youtube) and a Redis
database that it empties (FLUSHDB) before and after: give it one nothing else uses.
Each figure is the fake server's own count of units charged, beside the cost without
batching or caching (one channels.list per channel, plus the uploads pass).
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis

from collector.client import CollectorClient
from collector.config import Settings
from tests.fake_youtube import FakeYouTube
from tests.workers import WorkerProcess

API_KEY = "AIzaSyBENCHkey000000000000000000000001"
RUN_SIZE = 500
VIDEO = "vidOfRoutes"


@contextmanager
def worker(
    settings: Settings, fake: FakeYouTube, concurrency: int = 4, **env: str
) -> Iterator[CollectorClient]:
    with tempfile.TemporaryDirectory() as workdir:
        process = WorkerProcess(
            Path(workdir),
            env={
                "REDIS_URL": settings.redis_url,
                "YOUTUBE_API_KEYS": API_KEY,
                "YOUTUBE_API_BASE_URL": fake.base_url,
                "YOUTUBE_WEB_BASE_URL": fake.web_base_url,
                **env,
            },
            concurrency=concurrency,
        )
        try:
            yield CollectorClient(settings)
        finally:
            process.stop()


def fresh(fake: FakeYouTube, db: redis.Redis) -> None:
    fake.reset()
    fake.add_key(API_KEY, budget=10**9)
    db.flushdb()


def routes(settings: Settings, fake: FakeYouTube, db: redis.Redis, recent: int) -> list[tuple]:
    """(route, units) of one job of each kind, each on its own channel, one job at a time."""
    fresh(fake, db)
    cases = [
        ("channel id", f"UC{'A' * 22}", {}),
        ("handle", "@benchhandle", {"handle": "benchhandle"}),
        ("username", "youtube.com/user/BenchUser", {"username": "BenchUser"}),
        ("username, then as a handle", "youtube.com/user/benchother", {"handle": "benchother"}),
        ("custom URL (page)", "youtube.com/c/BenchCustom", {"custom_name": "BenchCustom"}),
        ("custom URL (page blank, handle)", "youtube.com/c/BenchBlank",
         {"handle": "BenchBlank", "page_style": "none"}),
        ("video", f"https://youtu.be/{VIDEO}", {}),
    ]  # fmt: skip
    for n, (_, _, channel) in enumerate(cases):
        channel_id = f"UC{chr(ord('A') + n) * 22}"
        fake.add_channel(channel_id, **channel)
        for k in range(12):
            fake.add_video(channel_id, VIDEO if n == 6 and k == 0 else f"r{n:02d}video{k:02d}")
    rows = []
    with worker(settings, fake, concurrency=1, RECENT_VIDEOS=str(recent)) as client:
        for label, text, _ in cases:
            before = fake.units()
            run = client.wait(client.create_run([text]), timeout=120)
            [job] = client.all_jobs(run.run_id)
            rows.append((label, job.route, fake.units() - before))
        run = client.wait(client.create_run([text for _, text, _ in cases]), timeout=120)
        rows.append(("all of them again", "(caches)", run.units))
    return rows


def batched_run(settings: Settings, fake: FakeYouTube, db: redis.Redis, recent: int) -> int:
    """Units the fake charged for a run of RUN_SIZE channel ids."""
    fresh(fake, db)
    for n in range(RUN_SIZE):
        fake.add_channel(f"UC{n:022d}")
        for k in range(recent + 1 if recent else 0):
            fake.add_video(f"UC{n:022d}", f"v{n:04d}x{k:05d}")
    with worker(settings, fake, RECENT_VIDEOS=str(recent)) as client:
        run = client.wait(client.create_run([f"UC{n:022d}" for n in range(RUN_SIZE)]), 300)
        assert run.counts["DONE"] == RUN_SIZE, run.counts
    return fake.units()


def main() -> int:
    url = os.environ.get("COLLECTOR_BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
    settings = Settings(redis_url=url)
    db = redis.Redis.from_url(url)
    with FakeYouTube() as fake:
        try:
            print("Units per route (one job, cold caches), RECENT_VIDEOS=0 and =10:")
            print(f"  {'kind':34} {'route':52} {'R=0':>4} {'R=10':>5}")
            for (label, route, units), (_, _, units10) in zip(
                routes(settings, fake, db, 0), routes(settings, fake, db, 10), strict=True
            ):
                print(f"  {label:34} {route:52} {units:>4} {units10:>5}")
            print(f"\nA run of {RUN_SIZE} channel ids (prefork -c 4):")
            for recent, unbatched in ((0, RUN_SIZE), (10, 3 * RUN_SIZE)):
                units = batched_run(settings, fake, db, recent)
                print(
                    f"  RECENT_VIDEOS={recent:<2}  {units:>4} units, {units / RUN_SIZE:.3f} a "
                    f"channel; unbatched {unbatched} ({units / unbatched:.1%} of it)"
                )
        finally:
            db.flushdb()
    return 0


if __name__ == "__main__":
    sys.exit(main())
