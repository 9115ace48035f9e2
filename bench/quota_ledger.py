"""What the shared key pool adds to each API call, as ratios against baselines run alongside.

    python -m bench.quota_ledger [--calls 1000] [--rounds 5]

- ``acquire`` (one Lua script: pick the key with most quota left, reserve its units) against
  a Redis PING, the floor of any state shared through Redis, for pools of 1, 5 and 20 keys;
- a whole ``YouTubeClient`` call (acquire, GET, parse) against a bare httpx GET of the same
  URL on the same fake server (loopback).

Each round runs every measurement once, in turn, so that both sides of a ratio see the same
machine load; the median round is printed. Redis is ``COLLECTOR_TEST_REDIS_URL`` database
``COLLECTOR_TEST_REDIS_DB`` (as in the tests); only keys under a fresh prefix are written,
and deleted at the end.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import uuid
from collections.abc import Callable

import httpx
import redis

from collector.apikeys import KeyPool, Quota
from collector.keys import Keys
from collector.youtube import Spend, YouTubeClient
from tests.fake_youtube import FakeYouTube

CHANNEL = "UC_x5XG1OV2P6uZZ5FSM9Ttw"
POOL_SIZES = (1, 5, 20)


def per_call_us(action: Callable[[], object], calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        action()
    return (time.perf_counter() - started) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000, help="calls per measurement")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    base = os.environ.get("COLLECTOR_TEST_REDIS_URL", "redis://127.0.0.1:6379").rstrip("/")
    client = redis.Redis.from_url(
        f"{base}/{os.environ.get('COLLECTOR_TEST_REDIS_DB', '8')}", decode_responses=True
    )
    prefix = f"bench-{uuid.uuid4().hex[:8]}:"
    big = Quota(daily_units=10**9)  # never spent during the benchmark
    keys = [f"AIzaBENCH{n:030d}" for n in range(max(POOL_SIZES))]
    pools = {size: KeyPool(keys[:size], client, Keys(prefix), quota=big) for size in POOL_SIZES}

    with FakeYouTube() as fake, httpx.Client() as http:
        for key in keys:
            fake.add_key(key, budget=10**9)
        fake.add_channel(CHANNEL, title="bench")
        youtube = YouTubeClient(fake.base_url, pools[1], http)
        url = f"{fake.base_url}/channels"
        params = {"part": "snippet,statistics,contentDetails,brandingSettings,topicDetails"}

        measurements: dict[str, Callable[[], object]] = {"redis PING": client.ping}
        for size, pool in pools.items():
            measurements[f"acquire, {size} keys"] = lambda pool=pool: pool.acquire("channels.list")
        measurements["bare GET"] = lambda: http.get(
            url, params={**params, "id": CHANNEL}, headers={"X-Goog-Api-Key": keys[0]}
        ).json()
        measurements["YouTubeClient call"] = lambda: youtube.list_channels(Spend(), id=CHANNEL)

        rounds: dict[str, list[float]] = {name: [] for name in measurements}
        for _ in range(args.rounds):
            for name, action in measurements.items():
                rounds[name].append(per_call_us(action, args.calls))

    try:
        median = {name: statistics.median(times) for name, times in rounds.items()}
        print(f"{args.calls} calls x {args.rounds} rounds, median round, microseconds per call")
        rows = [(f"acquire, {size} keys", "redis PING") for size in POOL_SIZES]
        rows += [("redis PING", ""), ("YouTubeClient call", "bare GET"), ("bare GET", "")]
        for name, baseline in rows:
            ratio = f"  {median[name] / median[baseline]:5.2f} x {baseline}" if baseline else ""
            print(f"{name:<22} {median[name]:8.0f} us{ratio}")
    finally:
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)


if __name__ == "__main__":
    main()
