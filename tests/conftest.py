"""Shared fixtures: a dedicated Redis database, the fake YouTube API, real Celery workers.

Redis is the real server at ``COLLECTOR_TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379``);
each pytest-xdist worker gets its own database number, emptied with FLUSHDB before and after
each test, since Celery's queue and kombu's keys ignore our key prefix. Never FLUSHALL.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import httpx
import pytest
import redis

from collector.apikeys import KeyPool, Quota
from collector.config import Settings
from collector.keys import Keys
from collector.youtube import RetryPolicy, YouTubeClient
from tests.fake_youtube import FakeYouTube
from tests.workers import WorkerProcess

# Realistic-looking keys, so a leak would be easy to spot in any text.
API_KEY = "AIzaSyTESTkey0000000000000000000000001"
SECOND_API_KEY = "AIzaSyTESTkey0000000000000000000000002"
THIRD_API_KEY = "AIzaSyTESTkey0000000000000000000000003"
ALL_API_KEYS = (API_KEY, SECOND_API_KEY, THIRD_API_KEY)
# Backoff short enough for tests, long enough to see in the fake's request times.
FAST_RETRY = RetryPolicy(attempts=3, base_delay=0.05, max_delay=0.2)


def _test_redis_url() -> str:
    """Database COLLECTOR_TEST_REDIS_DB (default 8), plus one per parallel test process."""
    base = os.environ.get("COLLECTOR_TEST_REDIS_URL", "redis://127.0.0.1:6379").rstrip("/")
    first = int(os.environ.get("COLLECTOR_TEST_REDIS_DB", "8"))
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = int(worker.removeprefix("gw") or 0)
    return f"{base}/{(first + index) % 16}"


@pytest.fixture(scope="session")
def redis_url() -> str:
    return _test_redis_url()


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture(scope="session")
def fake_youtube_server() -> Iterator[FakeYouTube]:
    with FakeYouTube() as fake:
        yield fake


@pytest.fixture
def youtube(fake_youtube_server: FakeYouTube) -> FakeYouTube:
    """The fake YouTube API, emptied, knowing the test API keys."""
    fake_youtube_server.reset()
    fake_youtube_server.add_key(API_KEY)
    return fake_youtube_server


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=httpx.Timeout(2.0)) as client:
        yield client


MakeClient = Callable[..., YouTubeClient]


@pytest.fixture
def make_client(youtube: FakeYouTube, redis_client: redis.Redis, http: httpx.Client) -> MakeClient:
    """A YouTube client on the fake, with its own key pool (as one worker process has)."""

    def make(
        *keys: str,
        projects: Mapping[str, str] | None = None,
        quota: Quota | None = None,
        retry: RetryPolicy = FAST_RETRY,
    ) -> YouTubeClient:
        pool = KeyPool(keys or (API_KEY,), redis_client, Keys("t:"), projects=projects, quota=quota)
        return YouTubeClient(youtube.base_url, pool, http, retry=retry)

    return make


@pytest.fixture
def settings(redis_url: str, youtube: FakeYouTube, redis_client: redis.Redis) -> Settings:
    return Settings(
        redis_url=redis_url,
        youtube_api_keys=(API_KEY,),
        youtube_api_base_url=youtube.base_url,
        youtube_web_base_url=youtube.web_base_url,  # never the real site from a test
        http_connect_timeout=2.0,
        http_read_timeout=5.0,
    )


@pytest.fixture
def worker_env(settings: Settings) -> dict[str, str]:
    """The environment a worker subprocess runs with."""
    return {
        "REDIS_URL": settings.redis_url,
        "YOUTUBE_API_KEYS": ",".join(settings.youtube_api_keys),
        "YOUTUBE_API_BASE_URL": settings.youtube_api_base_url,
        "YOUTUBE_WEB_BASE_URL": settings.youtube_web_base_url,
        "COLLECTOR_HTTP_CONNECT_TIMEOUT": "2",
        "COLLECTOR_HTTP_READ_TIMEOUT": "5",
    }


@pytest.fixture
def start_worker(tmp_path: Path, worker_env: dict[str, str]) -> Iterator[type[WorkerProcess]]:
    """Start real Celery workers (subprocesses); every one is stopped after the test."""
    started: list[WorkerProcess] = []

    class _Factory(WorkerProcess):
        def __init__(self, **kwargs: object) -> None:
            env = {**worker_env, **kwargs.pop("env", {})}  # type: ignore[dict-item]
            super().__init__(tmp_path, env=env, **kwargs)  # type: ignore[arg-type]
            started.append(self)

    yield _Factory
    for worker in started:
        worker.stop()
