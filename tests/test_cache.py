"""Claims (one fetch per channel) and the cache's records, on the real Redis."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from collector.cache import CLAIM_SECONDS, NOT_FOUND, Cache
from collector.collect import Asker, ChannelCollector
from collector.config import Settings
from collector.identifiers import Identifier, IdentifierKind
from collector.keys import Keys
from collector.runtime import build_runtime, make_cache
from collector.youtube import Spend
from tests.fake_youtube import FakeYouTube

A, B, C, D = (f"UC{letter * 22}" for letter in "ABCD")


@pytest.fixture
def cache(settings: Settings, redis_client: redis.Redis) -> Cache:
    return make_cache(settings, redis_client)


def test_claims_go_to_one_holder_and_skip_channels_already_known(
    cache: Cache, redis_client: redis.Redis
) -> None:
    keys = cache.keys
    redis_client.set(keys.channel_data(B, cache.recent_videos), "{}")
    redis_client.set(keys.resolution(Identifier(IdentifierKind.CHANNEL_ID, C).cache_key), NOT_FOUND)

    assert cache.claim([A, B, C, D], 50, "run/1") == [A, D]
    assert cache.claim([A, D], 50, "run/2") == []
    assert cache.claim([D, A], 1, "run/1") == [D]  # its own claims, taken again; the limit
    assert 0 < redis_client.ttl(keys.channel_claim(A)) <= CLAIM_SECONDS

    cache.release([A, D], "run/2")  # not its claims: nothing happens
    assert cache.claim([A], 1, "run/2") == []
    cache.release([A, D], "run/1")
    assert cache.claim([A, D], 50, "run/2") == [A, D]


@pytest.fixture
def collector(youtube: FakeYouTube, settings: Settings) -> Iterator[ChannelCollector]:
    """A worker's collector, RECENT_VIDEOS=0, with channel A known to the fake API."""
    youtube.add_channel(A, title="A")
    runtime = build_runtime(dataclasses.replace(settings, recent_videos=0))
    yield runtime.resolver.collector
    runtime.close()


def test_a_redelivered_job_takes_back_its_own_claim_at_once(
    collector: ChannelCollector, settings: Settings, redis_client: redis.Redis
) -> None:
    # The job's first delivery claimed A and died.
    assert collector.cache.claim([A], 1, "run/7") == [A]
    started = time.monotonic()

    channel, cached = collector.by_id(A, Spend(), Asker.job("run", "7"))

    assert (channel.title, cached) == ("A", False)
    assert time.monotonic() - started < 2
    assert redis_client.exists(Keys(settings.key_prefix).channel_claim(A)) == 0  # released


def test_a_waiting_job_takes_the_data_its_claimant_fetched(
    youtube: FakeYouTube, collector: ChannelCollector
) -> None:
    assert collector.cache.claim([A], 1, "run/1") == [A]

    def claimant() -> None:
        time.sleep(0.3)
        collector.fetch([A], Spend())
        collector.cache.release([A], "run/1")

    with ThreadPoolExecutor(1) as pool:
        pool.submit(claimant)
        channel, cached = collector.by_id(A, Spend(), Asker.job("run", "2"))

    assert (channel.title, cached) == ("A", True)
    assert youtube.calls() == 1
