"""The YouTube Data API v3 client over ``collector.httpclient``.

This is the one place where HTTP failures and the API's error bodies become
``collector.errors``. Keys travel in the ``X-Goog-Api-Key`` header, never in the URL, so that
no request log or exception that carries a URL can show one.

What one call does with each answer:

- 200 with a JSON object: charged, returned;
- quota spent (``quotaExceeded``, ``dailyLimitExceeded``) or an unusable key: not charged, the
  key (or its project) is marked for every worker and the call moves to another key;
- transient (rate limits, 429, 5xx, timeouts, connection errors, a malformed or truncated
  body): not charged, tried again after an exponential backoff with jitter, then
  ``UpstreamError``;
- any other 4xx: charged (the API counts a request it rejects), raised at once as
  ``ApiRequestRejected`` (``ApiForbidden`` for 401/403, ``ResourceNotFound`` for 404).
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .apikeys import ApiKey, KeyPool, Lease
from .errors import ApiForbidden, ApiRequestRejected, ResourceNotFound, UpstreamError
from .httpclient import HttpClient, HttpError, HttpTimeout, Response
from .ratelimit import RateLimiter

log = logging.getLogger(__name__)

CHANNEL_PARTS = "snippet,statistics,contentDetails,brandingSettings,topicDetails"
VIDEO_PARTS = "snippet,contentDetails,statistics,status"
MAX_IDS_PER_CALL = 50  # channels.list and videos.list: up to 50 ids for the same 1 unit

# The API's error reasons, by what we do about them. Newer bodies carry the precise reason in
# error.details[].reason (errors[].reason may say only "badRequest"), so that is read first.
QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
UNUSABLE_KEY_REASONS = frozenset(
    {
        "keyInvalid",
        "API_KEY_INVALID",
        "keyExpired",
        "API_KEY_EXPIRED",
        "accessNotConfigured",
        "SERVICE_DISABLED",
        "API_KEY_SERVICE_BLOCKED",
        "ipRefererBlocked",
    }
)
TRANSIENT_REASONS = frozenset(
    {
        "rateLimitExceeded",
        "userRateLimitExceeded",
        "RATE_LIMIT_EXCEEDED",
        "backendError",
        "internalError",
    }
)
TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})

METHOD_PATHS = {
    "channels.list": "/channels",
    "videos.list": "/videos",
    "playlistItems.list": "/playlistItems",
    "search.list": "/search",
}


@dataclass
class Spend:
    """Quota units and calls one piece of work has spent; one per job, never shared.

    It also tallies every call's outcome, and the units charged to each key, for the API-call
    metrics: they are written with the job's outcome, not in a Redis round trip of their own.
    """

    units: int = 0
    calls: int = 0
    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)  # (method, outcome)
    units_by_key: Counter[str] = field(default_factory=Counter)  # key fingerprint -> units

    def record(self, lease: Lease, outcome: str, *, charged: bool = False) -> None:
        """Note one call's outcome, and its leased units if the API charged it."""
        self.outcomes[lease.method, outcome] += 1
        if charged:
            self.units += lease.units
            self.calls += 1
            self.units_by_key[lease.key.fingerprint] += lease.units

    def absorb(self, other: Spend) -> None:
        """Add what a helper thread spent on this job's behalf."""
        self.units += other.units
        self.calls += other.calls
        self.outcomes.update(other.outcomes)
        self.units_by_key.update(other.units_by_key)


@dataclass(frozen=True)
class RetryPolicy:
    """How often, and after what pauses, a transient failure is tried again."""

    attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 4.0

    def delay(self, failures: int, retry_after: float | None = None) -> float:
        """Seconds before the next attempt: doubling from base_delay, half of it random."""
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** (failures - 1))
        delay = ceiling / 2 + random.uniform(0, ceiling / 2)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.max_delay))
        return delay


class _TransientFailure(Exception):
    """A failure worth another attempt; ``retry_after`` is the server's hint, if any."""

    def __init__(
        self, message: str, retry_after: float | None = None, outcome: str = "transient"
    ) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after
        self.outcome = outcome  # for the API-call metric


class _KeyCannotServe(Exception):
    """The key (or its project) is spent or unusable: another key may serve the call."""


def error_reason(body: object) -> str | None:
    """The most precise reason in a Google error body, or None if it has none."""
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        return None
    error = body["error"]
    for section in ("details", "errors"):
        entries = error.get(section)
        if isinstance(entries, list):
            for entry in entries:
                if isinstance(entry, dict) and isinstance(entry.get("reason"), str):
                    return str(entry["reason"])
    return None


class YouTubeClient:
    """Calls API methods with a key from the pool, moving past keys that cannot serve."""

    def __init__(
        self,
        base_url: str,
        key_pool: KeyPool,
        http: HttpClient,
        *,
        retry: RetryPolicy | None = None,
        rate_limiter: RateLimiter | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.key_pool = key_pool
        self.http = http
        self.retry = retry or RetryPolicy()
        self.rate_limiter = rate_limiter

    def list_channels(self, spend: Spend, **filters: str) -> list[dict[str, Any]]:
        """channels.list with one filter (id=, forHandle= or forUsername=); its items."""
        body = self.call("channels.list", {"part": CHANNEL_PARTS, **filters}, spend)
        return _items(body)

    def list_videos(
        self, spend: Spend, video_ids: Sequence[str], parts: str = VIDEO_PARTS
    ) -> list[dict[str, Any]]:
        """videos.list for up to 50 ids; its items, in its own order."""
        if not 0 < len(video_ids) <= MAX_IDS_PER_CALL:
            raise ValueError(f"videos.list takes 1 to {MAX_IDS_PER_CALL} ids")
        body = self.call("videos.list", {"part": parts, "id": ",".join(video_ids)}, spend)
        return _items(body)

    def list_playlist_items(
        self, spend: Spend, playlist_id: str, max_results: int
    ) -> list[dict[str, Any]]:
        """The first page of a playlist (newest first for an uploads playlist); its items."""
        params = {
            "part": "contentDetails",
            "playlistId": playlist_id,
            "maxResults": str(max_results),
        }
        return _items(self.call("playlistItems.list", params, spend))

    def search_channels(self, spend: Spend, query: str, limit: int = 5) -> list[str]:
        """search.list for channels matching ``query``: their ids, best match first."""
        params = {"part": "snippet", "type": "channel", "q": query, "maxResults": str(limit)}
        items = _items(self.call("search.list", params, spend))
        ids = [item["id"].get("channelId") for item in items if isinstance(item.get("id"), dict)]
        return [channel_id for channel_id in ids if isinstance(channel_id, str)]

    def call(self, method: str, params: dict[str, str], spend: Spend) -> dict[str, Any]:
        """One API call, retried on transient failures; its units are added to ``spend``."""
        failures = key_changes = 0
        while True:
            lease = self.key_pool.acquire(method)  # raises once no key can serve
            try:
                return self._attempt(lease, params, spend)
            except _KeyCannotServe:
                # Each change marks a key or project; more changes than keys means the marks
                # keep vanishing (a new day began, an operator cleared them): give up for now.
                key_changes += 1
                if key_changes > len(self.key_pool.keys):
                    raise UpstreamError(f"{method}: no key could serve the call") from None
            except _TransientFailure as failure:
                failures += 1
                if failures >= self.retry.attempts:
                    raise UpstreamError(
                        f"{failure.message}; gave up after {failures} attempts"
                    ) from None
                delay = self.retry.delay(failures, failure.retry_after)
                log.warning(
                    "%s; attempt %d of %d failed, next in %.2f s (%s)",
                    failure.message,
                    failures,
                    self.retry.attempts,
                    delay,
                    lease.key,
                )
                time.sleep(delay)

    def _attempt(self, lease: Lease, params: dict[str, str], spend: Spend) -> dict[str, Any]:
        """Send once; the body, or an exception that says what to do next."""
        method = lease.method
        if self.rate_limiter is not None:
            self.rate_limiter.wait()
        try:
            response = self._send(method, params, lease.key)
        except _TransientFailure as failure:
            spend.record(lease, failure.outcome)
            self.key_pool.refund(lease)
            raise
        body = _json_or_none(response)
        status, reason = response.status_code, error_reason(body)
        described = f"{method} answered HTTP {status}" + (f" ({reason})" if reason else "")
        if status == 200 and isinstance(body, dict):
            spend.record(lease, "ok", charged=True)
            return body
        if 400 <= status < 500 and not _is_transient(status, reason):
            if reason in QUOTA_REASONS:
                spend.record(lease, "quota_exceeded")
                self.key_pool.refund(lease)
                self.key_pool.mark_exhausted(lease)
                raise _KeyCannotServe
            if reason in UNUSABLE_KEY_REASONS:
                spend.record(lease, "key_unusable")
                self.key_pool.refund(lease)
                self.key_pool.mark_unusable(lease.key, reason or "unusable")
                raise _KeyCannotServe
            # The API charges a request it rejects for what it asks.
            spend.record(lease, "rejected", charged=True)
            raise _rejection(described, status, reason)
        self.key_pool.refund(lease)
        if status == 200:
            spend.record(lease, "malformed")
            raise _TransientFailure(f"{method} answered with a malformed body")
        spend.record(lease, "transient")
        raise _TransientFailure(described, _retry_after(response))

    def _send(self, method: str, params: dict[str, str], key: ApiKey) -> Response:
        url = self.base_url + METHOD_PATHS[method]
        try:
            return self.http.get(url, params=params, headers={"X-Goog-Api-Key": key.value})
        except HttpTimeout:
            raise _TransientFailure(f"{method} timed out", outcome="timeout") from None
        except HttpError as exc:
            raise _TransientFailure(f"{method} failed: {exc}", outcome="network_error") from None


def _is_transient(status: int, reason: str | None) -> bool:
    return status in TRANSIENT_STATUSES or reason in TRANSIENT_REASONS


def _rejection(described: str, status: int, reason: str | None) -> ApiRequestRejected:
    kind = {401: ApiForbidden, 403: ApiForbidden, 404: ResourceNotFound}.get(
        status, ApiRequestRejected
    )
    return kind(described, status=status, reason=reason)


def _retry_after(response: Response) -> float | None:
    """The Retry-After header in seconds, when it is a number."""
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return None


def _json_or_none(response: Response) -> object:
    try:
        return json.loads(response.content)
    except ValueError:
        return None


def _items(body: dict[str, Any]) -> list[dict[str, Any]]:
    # No match is a 200 with no "items" key at all; some bodies carry "items": [].
    items = body.get("items", [])
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise UpstreamError("the API answered with a malformed items list")
    return items


def items_by_id(items: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Items keyed by their id: answers are matched by id, never by position."""
    return {item["id"]: item for item in items if isinstance(item.get("id"), str)}
