"""Settings from the environment and an optional ``.env`` file, read once and validated.

Importing this module needs no environment: ``get_settings()`` reads it on first use, and only
the worker checks at start-up that API keys are configured (``Settings.require_api_keys``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from dotenv import dotenv_values

DEFAULT_YOUTUBE_API_BASE_URL = "https://www.googleapis.com/youtube/v3"
# The pools the worker is tested and measured with (gevent/eventlet are not: see the README).
WORKER_POOLS = ("prefork", "threads", "solo")
DEFAULT_YOUTUBE_WEB_BASE_URL = "https://www.youtube.com"
MAX_RECENT_VIDEOS = 50  # one playlistItems.list page, and one videos.list call
QUOTA_POLICIES = ("fail", "wait")
_PROJECT_LABEL = re.compile(r"[A-Za-z0-9._-]+")


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names it."""


@dataclass(frozen=True)
class Settings:
    redis_url: str = "redis://localhost:6379/0"
    broker_url: str = ""  # empty: the broker is redis_url
    key_prefix: str = "collector:"
    queue: str = "collector"
    youtube_api_keys: tuple[str, ...] = field(default=(), repr=False)
    # (key, project label) for the keys given as KEY@PROJECT; other keys are their own project.
    youtube_key_projects: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    youtube_api_base_url: str = DEFAULT_YOUTUBE_API_BASE_URL
    youtube_daily_quota: int = 10_000
    youtube_search_cost: int = 100
    youtube_search_daily_calls: int = 100
    youtube_max_rps: float = 0.0  # 0: no global request-rate limit
    youtube_retry_attempts: int = 4
    youtube_retry_base_delay: float = 0.5
    youtube_retry_max_delay: float = 4.0
    on_quota_exhausted: str = "fail"
    parked_check_seconds: float = 30.0
    http_connect_timeout: float = 5.0
    http_read_timeout: float = 15.0
    run_ttl_seconds: int = 30 * 24 * 3600
    task_soft_time_limit: int = 120
    task_time_limit: int = 150
    visibility_timeout: int = 600
    job_lease_seconds: int = 180
    max_attempts: int = 3
    worker_pool: str = "prefork"
    worker_concurrency: int = 4
    youtube_web_base_url: str = DEFAULT_YOUTUBE_WEB_BASE_URL
    resolve_via_page: bool = True
    allow_search_fallback: bool = False
    resolution_cache_ttl: int = 7 * 24 * 3600
    not_found_cache_ttl: int = 3600
    channel_data_max_age: int = 3600
    recent_videos: int = 10
    snapshot_max_count: int = 720  # one an hour for 30 days
    snapshot_max_age: int = 30 * 24 * 3600
    reaper_interval_seconds: int = 30
    unacked_restore_interval: int = 10
    run_events_maxlen: int = 100_000
    events_maxlen: int = 100_000
    outbox_interval: float = 5.0
    outbox_claim_seconds: int = 60
    api_token: str = field(default="", repr=False)
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    api_max_identifiers: int = 10_000
    log_format: str = "json"

    @property
    def effective_broker_url(self) -> str:
        return self.broker_url or self.redis_url

    def require_api_keys(self) -> tuple[str, ...]:
        if not self.youtube_api_keys:
            raise ConfigError(
                "YOUTUBE_API_KEYS is not set: give one or more YouTube Data API keys, "
                "comma-separated, in the environment or in .env"
            )
        return self.youtube_api_keys

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        reader = _Reader(env)
        keys, projects = _parse_api_keys(reader.csv("YOUTUBE_API_KEYS"))
        settings = cls(
            redis_url=reader.text("REDIS_URL", cls.redis_url),
            broker_url=reader.text("CELERY_BROKER_URL", ""),
            key_prefix=reader.text("COLLECTOR_KEY_PREFIX", cls.key_prefix),
            queue=reader.text("COLLECTOR_QUEUE", cls.queue),
            youtube_api_keys=keys,
            youtube_key_projects=projects,
            youtube_api_base_url=reader.text(
                "YOUTUBE_API_BASE_URL", DEFAULT_YOUTUBE_API_BASE_URL
            ).rstrip("/"),
            youtube_daily_quota=reader.integer("YOUTUBE_DAILY_QUOTA", cls.youtube_daily_quota),
            youtube_search_cost=reader.integer("YOUTUBE_SEARCH_COST", cls.youtube_search_cost),
            youtube_search_daily_calls=reader.integer(
                "YOUTUBE_SEARCH_DAILY_CALLS", cls.youtube_search_daily_calls
            ),
            youtube_max_rps=reader.number("YOUTUBE_MAX_RPS", cls.youtube_max_rps),
            youtube_retry_attempts=reader.integer(
                "YOUTUBE_RETRY_ATTEMPTS", cls.youtube_retry_attempts
            ),
            youtube_retry_base_delay=reader.number(
                "YOUTUBE_RETRY_BASE_DELAY", cls.youtube_retry_base_delay
            ),
            youtube_retry_max_delay=reader.number(
                "YOUTUBE_RETRY_MAX_DELAY", cls.youtube_retry_max_delay
            ),
            on_quota_exhausted=reader.text("ON_QUOTA_EXHAUSTED", cls.on_quota_exhausted).lower(),
            parked_check_seconds=reader.number(
                "COLLECTOR_PARKED_CHECK_SECONDS", cls.parked_check_seconds
            ),
            http_connect_timeout=reader.number("COLLECTOR_HTTP_CONNECT_TIMEOUT", 5.0),
            http_read_timeout=reader.number("COLLECTOR_HTTP_READ_TIMEOUT", 15.0),
            run_ttl_seconds=reader.integer("COLLECTOR_RUN_TTL_SECONDS", cls.run_ttl_seconds),
            task_soft_time_limit=reader.integer("COLLECTOR_TASK_SOFT_TIME_LIMIT", 120),
            task_time_limit=reader.integer("COLLECTOR_TASK_TIME_LIMIT", 150),
            visibility_timeout=reader.integer("COLLECTOR_VISIBILITY_TIMEOUT", 600),
            job_lease_seconds=reader.integer("COLLECTOR_JOB_LEASE_SECONDS", 180),
            max_attempts=reader.integer("COLLECTOR_MAX_ATTEMPTS", 3),
            worker_pool=reader.text("COLLECTOR_POOL", cls.worker_pool),
            worker_concurrency=reader.integer("COLLECTOR_CONCURRENCY", cls.worker_concurrency),
            youtube_web_base_url=reader.text(
                "YOUTUBE_WEB_BASE_URL", DEFAULT_YOUTUBE_WEB_BASE_URL
            ).rstrip("/"),
            resolve_via_page=reader.boolean("RESOLVE_VIA_PAGE", cls.resolve_via_page),
            allow_search_fallback=reader.boolean(
                "ALLOW_SEARCH_FALLBACK", cls.allow_search_fallback
            ),
            resolution_cache_ttl=reader.integer("RESOLUTION_CACHE_TTL", cls.resolution_cache_ttl),
            not_found_cache_ttl=reader.integer("NOT_FOUND_CACHE_TTL", cls.not_found_cache_ttl),
            channel_data_max_age=reader.integer("CHANNEL_DATA_MAX_AGE", cls.channel_data_max_age),
            recent_videos=reader.integer("RECENT_VIDEOS", cls.recent_videos),
            snapshot_max_count=reader.integer("SNAPSHOT_MAX_COUNT", cls.snapshot_max_count),
            snapshot_max_age=reader.integer("SNAPSHOT_MAX_AGE", cls.snapshot_max_age),
            reaper_interval_seconds=reader.integer("COLLECTOR_REAPER_INTERVAL", 30),
            unacked_restore_interval=reader.integer("COLLECTOR_UNACKED_RESTORE_INTERVAL", 10),
            run_events_maxlen=reader.integer("COLLECTOR_RUN_EVENTS_MAXLEN", cls.run_events_maxlen),
            events_maxlen=reader.integer("COLLECTOR_EVENTS_MAXLEN", cls.events_maxlen),
            outbox_interval=reader.number("COLLECTOR_OUTBOX_INTERVAL", cls.outbox_interval),
            outbox_claim_seconds=reader.integer(
                "COLLECTOR_OUTBOX_CLAIM_SECONDS", cls.outbox_claim_seconds
            ),
            api_token=reader.text("COLLECTOR_API_TOKEN", ""),
            api_host=reader.text("COLLECTOR_API_HOST", cls.api_host),
            api_port=reader.integer("COLLECTOR_API_PORT", cls.api_port),
            api_max_identifiers=reader.integer(
                "COLLECTOR_API_MAX_IDENTIFIERS", cls.api_max_identifiers
            ),
            log_format=reader.text("COLLECTOR_LOG_FORMAT", cls.log_format).lower(),
        )
        settings.validate()
        return settings

    def validate(self) -> None:
        # A message must never be redelivered while its task may still be running, and a
        # lease must outlive the task's hard limit, or a live job would be taken over.
        if not self.task_soft_time_limit < self.task_time_limit < self.visibility_timeout:
            raise ConfigError(
                "need COLLECTOR_TASK_SOFT_TIME_LIMIT < COLLECTOR_TASK_TIME_LIMIT "
                "< COLLECTOR_VISIBILITY_TIMEOUT"
            )
        if self.job_lease_seconds <= self.task_time_limit:
            raise ConfigError("COLLECTOR_JOB_LEASE_SECONDS must exceed COLLECTOR_TASK_TIME_LIMIT")
        if self.max_attempts < 1:
            raise ConfigError("COLLECTOR_MAX_ATTEMPTS must be at least 1")
        if self.worker_pool not in WORKER_POOLS:
            raise ConfigError(
                f"COLLECTOR_POOL must be one of {', '.join(WORKER_POOLS)}, got {self.worker_pool!r}"
            )
        if self.worker_concurrency < 1:
            raise ConfigError("COLLECTOR_CONCURRENCY must be at least 1")
        if not 0 <= self.recent_videos <= MAX_RECENT_VIDEOS:
            raise ConfigError(f"RECENT_VIDEOS must be from 0 to {MAX_RECENT_VIDEOS}")
        if self.snapshot_max_count < 1:
            raise ConfigError("SNAPSHOT_MAX_COUNT must be at least 1")
        for name, value in (
            ("RESOLUTION_CACHE_TTL", self.resolution_cache_ttl),
            ("NOT_FOUND_CACHE_TTL", self.not_found_cache_ttl),
            ("CHANNEL_DATA_MAX_AGE", self.channel_data_max_age),
            ("SNAPSHOT_MAX_AGE", self.snapshot_max_age),
        ):
            if value < 0:
                raise ConfigError(f"{name} must not be negative")
        if self.reaper_interval_seconds < 1 or self.unacked_restore_interval < 1:
            raise ConfigError(
                "COLLECTOR_REAPER_INTERVAL and COLLECTOR_UNACKED_RESTORE_INTERVAL must be >= 1"
            )
        if min(self.run_events_maxlen, self.events_maxlen) < 100:
            raise ConfigError(
                "COLLECTOR_RUN_EVENTS_MAXLEN and COLLECTOR_EVENTS_MAXLEN must be at least 100"
            )
        if self.outbox_interval <= 0 or self.outbox_claim_seconds < 1:
            raise ConfigError(
                "COLLECTOR_OUTBOX_INTERVAL must be positive and COLLECTOR_OUTBOX_CLAIM_SECONDS "
                "at least 1"
            )
        if not 0 <= self.api_port <= 65535:
            raise ConfigError("COLLECTOR_API_PORT must be a TCP port (0-65535)")
        if self.api_max_identifiers < 1:
            raise ConfigError("COLLECTOR_API_MAX_IDENTIFIERS must be at least 1")
        if self.log_format not in ("json", "text"):
            raise ConfigError("COLLECTOR_LOG_FORMAT must be json or text")
        if self.youtube_daily_quota < 1 or self.youtube_search_cost < 1:
            raise ConfigError("YOUTUBE_DAILY_QUOTA and YOUTUBE_SEARCH_COST must be at least 1")
        if self.youtube_search_daily_calls < 0 or self.youtube_max_rps < 0:
            raise ConfigError("YOUTUBE_SEARCH_DAILY_CALLS and YOUTUBE_MAX_RPS must not be negative")
        if self.on_quota_exhausted not in QUOTA_POLICIES:
            raise ConfigError(f"ON_QUOTA_EXHAUSTED must be one of {', '.join(QUOTA_POLICIES)}")
        if self.parked_check_seconds <= 0:
            raise ConfigError("COLLECTOR_PARKED_CHECK_SECONDS must be positive")
        self._validate_retries()

    def _validate_retries(self) -> None:
        if self.youtube_retry_attempts < 1:
            raise ConfigError("YOUTUBE_RETRY_ATTEMPTS must be at least 1")
        if not 0 <= self.youtube_retry_base_delay <= self.youtube_retry_max_delay:
            raise ConfigError("need 0 <= YOUTUBE_RETRY_BASE_DELAY <= YOUTUBE_RETRY_MAX_DELAY")
        # Every attempt of one call timing out, plus every pause between them, must end before
        # the job is told to stop, so that a failing API ends the job with its own error.
        worst = (
            self.youtube_retry_attempts * (self.http_connect_timeout + self.http_read_timeout)
            + (self.youtube_retry_attempts - 1) * self.youtube_retry_max_delay
        )
        if worst >= self.task_soft_time_limit:
            raise ConfigError(
                f"one API call may take {worst:g} s with YOUTUBE_RETRY_ATTEMPTS, "
                "YOUTUBE_RETRY_MAX_DELAY and the HTTP timeouts: keep it under "
                "COLLECTOR_TASK_SOFT_TIME_LIMIT"
            )


def _parse_api_keys(
    entries: tuple[str, ...],
) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """``KEY`` or ``KEY@PROJECT`` entries: the distinct keys, and the labels given to them.

    Messages name an entry by its position, never by its value: it holds a key.
    """
    keys: dict[str, str | None] = {}
    for position, entry in enumerate(entries, start=1):
        key, at, project = (part.strip() for part in entry.partition("@"))
        if not key or (at and not _PROJECT_LABEL.fullmatch(project)):
            raise ConfigError(
                f"YOUTUBE_API_KEYS entry {position} is malformed: expected KEY or KEY@PROJECT "
                "(a project label of letters, digits, '.', '_' or '-')"
            )
        label = project or None
        if key in keys and keys[key] != label:
            raise ConfigError(
                f"YOUTUBE_API_KEYS entry {position} repeats a key with another project label"
            )
        keys[key] = label
    labels = tuple((key, label) for key, label in keys.items() if label is not None)
    return tuple(keys), labels


class _Reader:
    """Typed reads of string settings; errors name the variable."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env

    def text(self, name: str, default: str) -> str:
        value = self._env.get(name, "").strip()
        return value or default

    def csv(self, name: str) -> tuple[str, ...]:
        return tuple(part.strip() for part in self._env.get(name, "").split(",") if part.strip())

    def integer(self, name: str, default: int) -> int:
        raw = self._env.get(name, "").strip()
        if not raw:
            return default
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None

    def boolean(self, name: str, default: bool) -> bool:
        raw = self._env.get(name, "").strip().lower()
        if not raw:
            return default
        if raw in ("1", "true", "yes", "on"):
            return True
        if raw in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{name} must be true or false, got {raw!r}")

    def number(self, name: str, default: float) -> float:
        raw = self._env.get(name, "").strip()
        if not raw:
            return default
        try:
            return float(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a number, got {raw!r}") from None


def load_environment(dotenv_path: str = ".env") -> dict[str, str]:
    """The process environment over the values of ``.env`` (the environment wins)."""
    values = {k: v for k, v in dotenv_values(dotenv_path).items() if v is not None}
    values.update(os.environ)
    return values


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env(load_environment())
