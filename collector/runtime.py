"""The long-lived objects of one process: Redis pool, HTTP client, store, resolver.

Built once per process on first use and shared by every thread of a threads pool (redis-py's
pool and ``HttpClient`` are thread-safe), with their connection pools sized to the worker's
concurrency. A prefork child must not inherit its parent's sockets, so ``reset_runtime`` is
called after fork.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import redis

from .apikeys import KeyPool
from .config import Settings, get_settings
from .httpclient import HttpClient
from .keys import Keys
from .resolver import Resolver
from .store import Store
from .youtube import YouTubeClient


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    redis: redis.Redis
    store: Store
    resolver: Resolver

    def close(self) -> None:
        self.resolver.youtube.http.close()
        self.redis.close()


# Connections beyond one per concurrent job: the consumer's own, health checks, a reaper.
CONNECTION_HEADROOM = 4


def connections_for(concurrency: int) -> int:
    """How many connections to one server a process running ``concurrency`` jobs may need."""
    return concurrency + CONNECTION_HEADROOM


def redis_client(settings: Settings, max_connections: int) -> redis.Redis:
    # A blocking pool waits for a free connection instead of failing when every thread of a
    # large pool is talking to Redis at once.
    pool = redis.BlockingConnectionPool.from_url(
        settings.redis_url,
        max_connections=max_connections,
        timeout=30,
        decode_responses=True,
        health_check_interval=30,
        socket_keepalive=True,
    )
    return redis.Redis(connection_pool=pool)


def make_store(settings: Settings, client: redis.Redis) -> Store:
    return Store(
        client,
        Keys(settings.key_prefix),
        run_ttl_seconds=settings.run_ttl_seconds,
        lease_seconds=settings.job_lease_seconds,
        max_attempts=settings.max_attempts,
    )


def build_runtime(settings: Settings, concurrency: int) -> Runtime:
    size = connections_for(concurrency)
    client = redis_client(settings, max_connections=size)
    http = HttpClient(
        connect_timeout=settings.http_connect_timeout,
        read_timeout=settings.http_read_timeout,
        max_idle_per_host=size,
    )
    key_pool = KeyPool(settings.require_api_keys(), client, Keys(settings.key_prefix))
    youtube = YouTubeClient(settings.youtube_api_base_url, key_pool, http)
    return Runtime(
        settings=settings,
        redis=client,
        store=make_store(settings, client),
        resolver=Resolver(youtube),
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
                settings = get_settings()
                _runtime = build_runtime(settings, _concurrency or settings.worker_concurrency)
    return _runtime


def reset_runtime() -> None:
    """Forget this process's objects (after fork: the parent's sockets are not ours)."""
    global _runtime
    _runtime = None
