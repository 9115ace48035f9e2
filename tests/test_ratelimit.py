"""The global request-rate limit: one token bucket in Redis shared by every limiter."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
import redis

from collector.apikeys import KeyPool
from collector.keys import Keys
from collector.ratelimit import RateLimiter
from collector.youtube import Spend, YouTubeClient
from tests.conftest import API_KEY
from tests.fake_youtube import FakeYouTube

BUCKET = Keys("t:").rate_bucket()


def test_limiters_in_many_threads_share_one_rate(redis_client: redis.Redis) -> None:
    rate, per_thread = 40.0, 20
    limiters = [RateLimiter(redis_client, BUCKET, rate) for _ in range(3)]  # three "workers"
    stamps: list[float] = []
    lock = threading.Lock()

    def work(limiter: RateLimiter) -> None:
        for _ in range(per_thread):
            limiter.wait()
            with lock:
                stamps.append(time.monotonic())

    started = time.monotonic()
    threads = [threading.Thread(target=work, args=(limiter,)) for limiter in limiters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # A burst of one second's tokens, then one token every 1/rate s: the n-th request cannot
    # pass before (n - burst) / rate. (A lower bound only: a slow machine is not a failure.)
    stamps.sort()
    late = [n for n, at in enumerate(stamps, 1) if at - started < (n - rate) / rate - 0.01]
    assert late == []
    assert len(stamps) == 60


def test_an_idle_bucket_refills_to_one_burst_and_expires(redis_client: redis.Redis) -> None:
    limiter = RateLimiter(redis_client, BUCKET, 5.0)
    waits = [limiter.wait() for _ in range(6)]
    assert waits[:5] == [0] * 5 and waits[5] > 0
    assert 0 < redis_client.ttl(BUCKET) <= 3


def test_a_rate_must_be_positive(redis_client: redis.Redis) -> None:
    with pytest.raises(ValueError):
        RateLimiter(redis_client, BUCKET, 0)


def test_the_client_waits_for_a_token_before_each_request(
    youtube: FakeYouTube, redis_client: redis.Redis, http: httpx.Client
) -> None:
    youtube.add_channel("UC_x5XG1OV2P6uZZ5FSM9Ttw")
    rate = 20.0
    pool = KeyPool((API_KEY,), redis_client, Keys("t:"))
    client = YouTubeClient(
        youtube.base_url, pool, http, rate_limiter=RateLimiter(redis_client, BUCKET, rate)
    )

    for _ in range(30):
        client.list_channels(Spend(), id="UC_x5XG1OV2P6uZZ5FSM9Ttw")

    times = [request.time for request in youtube.requests]
    assert times[-1] - times[0] >= (30 - rate - 1) / rate
