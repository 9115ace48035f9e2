"""The long-lived objects of one process: Redis pool, HTTP clients, store, resolver.

Built once per process on first use and shared by every thread of a threads pool (redis-py's
pool, ``HttpClient`` and httpx's client are thread-safe), with their connection pools sized to
the worker's concurrency. A prefork child must not inherit its parent's sockets, so it builds
its own after fork.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import httpx
import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from .apikeys import KeyPool
from .cache import Cache
from .collect import ChannelCollector
from .config import Settings, get_settings
from .httpclient import HttpClient
from .keys import Keys
from .ratelimit import RateLimiter
from .resolver import Resolver
from .snapshots import Snapshots
from .store import Store
from .uploads import RecentUploads
from .webpage import ChannelPages
from .youtube import RetryPolicy, YouTubeClient


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    redis: redis.Redis
    store: Store
    resolver: Resolver

    def close(self) -> None:
        self.resolver.youtube.http.close()
        self.redis.close()


WORKER_REDIS_RETRIES = 25  # about 40 s of backoff: a Redis restart delays jobs, fails none
CLIENT_REDIS_RETRIES = 3  # under a second: a person or a backend hears of an outage at once
# Connections beyond one per concurrent job: the consumer's own, health checks, the chores.
CONNECTION_HEADROOM = 4


def connections_for(concurrency: int) -> int:
    """How many connections to one server a process running ``concurrency`` jobs may need."""
    return concurrency + CONNECTION_HEADROOM


def redis_client(
    settings: Settings, max_connections: int, retries: int = WORKER_REDIS_RETRIES
) -> redis.Redis:
    # A blocking pool waits for a free connection instead of failing when every thread of a
    # large pool is talking to Redis at once. Commands are retried with backoff (our scripts
    # are safe to run again).
    pool = redis.BlockingConnectionPool.from_url(
        settings.redis_url,
        max_connections=max_connections,
        timeout=30,
        decode_responses=True,
        health_check_interval=30,
        socket_keepalive=True,
        retry=Retry(ExponentialBackoff(cap=2.0, base=0.1), retries=retries),
        retry_on_error=[redis.ConnectionError, redis.TimeoutError],
    )
    return redis.Redis(connection_pool=pool)


def make_store(settings: Settings, client: redis.Redis) -> Store:
    return Store(
        client,
        Keys(settings.key_prefix),
        run_ttl_seconds=settings.run_ttl_seconds,
        lease_seconds=settings.job_lease_seconds,
        max_attempts=settings.max_attempts,
        run_events_maxlen=settings.run_events_maxlen,
        events_maxlen=settings.events_maxlen,
    )


def make_snapshots(settings: Settings, client: redis.Redis) -> Snapshots:
    return Snapshots(
        client,
        Keys(settings.key_prefix),
        max_count=settings.snapshot_max_count,
        max_age=settings.snapshot_max_age,
    )


def make_cache(settings: Settings, client: redis.Redis) -> Cache:
    return Cache(
        client,
        Keys(settings.key_prefix),
        make_snapshots(settings, client),
        resolution_ttl=settings.resolution_cache_ttl,
        not_found_ttl=settings.not_found_cache_ttl,
        data_max_age=settings.channel_data_max_age,
        recent_videos=settings.recent_videos,
    )


def build_runtime(settings: Settings, concurrency: int | None = None) -> Runtime:
    """This process's objects, their pools sized for ``concurrency`` jobs at once."""
    size = connections_for(concurrency or settings.worker_concurrency)
    client = redis_client(settings, max_connections=size)
    http = HttpClient(
        connect_timeout=settings.http_connect_timeout,
        read_timeout=settings.http_read_timeout,
        max_idle_per_host=size,
    )
    keys = Keys(settings.key_prefix)
    key_pool = KeyPool.from_settings(settings, client)
    key_pool.announce()
    youtube = YouTubeClient(
        settings.youtube_api_base_url,
        key_pool,
        http,
        retry=RetryPolicy(
            attempts=settings.youtube_retry_attempts,
            base_delay=settings.youtube_retry_base_delay,
            max_delay=settings.youtube_retry_max_delay,
        ),
        rate_limiter=(
            RateLimiter(client, keys.rate_bucket(), settings.youtube_max_rps)
            if settings.youtube_max_rps > 0
            else None
        ),
    )
    store = make_store(settings, client)
    cache = make_cache(settings, client)
    collector = ChannelCollector(
        youtube,
        cache,
        RecentUploads(youtube, settings.recent_videos),
        store.pending_inputs,
    )
    resolver = Resolver(
        youtube,
        collector,
        cache,
        pages=(
            ChannelPages(page_client(settings), settings.youtube_web_base_url)
            if settings.resolve_via_page
            else None
        ),
        search=settings.allow_search_fallback,
    )
    return Runtime(settings=settings, redis=client, store=store, resolver=resolver)


def page_client(settings: Settings) -> httpx.Client:
    """httpx for channel web pages (redirects, streamed bodies): a rare route, never the API's."""
    return httpx.Client(
        timeout=httpx.Timeout(settings.http_read_timeout, connect=settings.http_connect_timeout)
    )


_runtime: Runtime | None = None
_concurrency: int | None = None
_lock = threading.Lock()


def set_concurrency(concurrency: int) -> None:
    """The worker's real concurrency (``-c`` wins over COLLECTOR_CONCURRENCY), for sizing."""
    global _concurrency
    _concurrency = concurrency


def get_runtime() -> Runtime:
    global _runtime
    if _runtime is None:
        with _lock:
            if _runtime is None:
                _runtime = build_runtime(get_settings(), _concurrency)
    return _runtime


def reset_runtime() -> None:
    """Forget this process's objects (after fork: the parent's sockets are not ours)."""
    global _runtime
    _runtime = None
