"""The YouTube Data API v3 client over httpx.

This is the one place where httpx exceptions and the API's error bodies become
``collector.errors``. Keys travel in the ``X-Goog-Api-Key`` header, never in the URL, so that
neither httpx's request log nor its exceptions (which carry the URL) can show one.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from .apikeys import ApiKey, KeyPool
from .errors import ApiRequestRejected, CollectorError, UpstreamError
from .metrics import ApiCallMetrics

log = logging.getLogger(__name__)

CHANNEL_PARTS = "snippet,statistics,contentDetails,brandingSettings,topicDetails"

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

# Quota units per call of each API method.
METHOD_COSTS = {"channels.list": 1, "videos.list": 1, "playlistItems.list": 1, "search.list": 100}
METHOD_PATHS = {
    "channels.list": "/channels",
    "videos.list": "/videos",
    "playlistItems.list": "/playlistItems",
    "search.list": "/search",
}


@dataclass
class Spend:
    """Quota units and calls one piece of work has spent; one per job, never shared."""

    units: int = 0
    calls: int = 0

    def add(self, method: str) -> None:
        self.units += METHOD_COSTS[method]
        self.calls += 1


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
        http: httpx.Client,
        metrics: ApiCallMetrics | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.key_pool = key_pool
        self.http = http
        self.metrics = metrics

    def list_channels(self, spend: Spend, **filters: str) -> list[dict[str, Any]]:
        """channels.list with one filter (id=, forHandle= or forUsername=); its items."""
        body = self.call("channels.list", {"part": CHANNEL_PARTS, **filters}, spend)
        return _items(body)

    def call(self, method: str, params: dict[str, str], spend: Spend) -> dict[str, Any]:
        """One API call; a key that is out of quota or unusable is marked and the next tried."""
        for _ in range(len(self.key_pool.keys) + 1):
            key = self.key_pool.pick()  # raises once no key can serve
            response = self._send(method, params, key)
            body = _json_or_none(response)
            if response.status_code == 200:
                if not isinstance(body, dict):
                    self._count(method, "malformed", key)
                    raise UpstreamError(f"{method} answered with a malformed body")
                spend.add(method)
                self._count(method, "ok", key, METHOD_COSTS[method])
                return body
            reason = error_reason(body)
            if reason in QUOTA_REASONS:
                self._count(method, "quota_exceeded", key)
                self.key_pool.mark_exhausted(key)
                continue
            if reason in UNUSABLE_KEY_REASONS:
                self._count(method, "key_unusable", key)
                self.key_pool.mark_unusable(key, reason or "unusable")
                continue
            error = _error_for(method, response.status_code, reason, spend)
            if isinstance(error, UpstreamError):
                self._count(method, "transient", key)
            else:
                self._count(method, "rejected", key, METHOD_COSTS[method])
            raise error
        raise CollectorError(f"{method}: no key could serve the call")  # keys changed meanwhile

    def _send(self, method: str, params: dict[str, str], key: ApiKey) -> httpx.Response:
        url = self.base_url + METHOD_PATHS[method]
        try:
            return self.http.get(url, params=params, headers={"X-Goog-Api-Key": key.value})
        except httpx.TimeoutException:
            self._count(method, "timeout", key)
            raise UpstreamError(f"{method} timed out") from None
        except httpx.HTTPError as exc:
            self._count(method, "network_error", key)
            # The exception's text may include the URL (never a key): keep only its class.
            raise UpstreamError(f"{method} failed: {type(exc).__name__}") from None

    def _count(self, method: str, outcome: str, key: ApiKey, units: int = 0) -> None:
        if self.metrics is not None:
            self.metrics.record(method, outcome, key.fingerprint, units)


def _error_for(method: str, status: int, reason: str | None, spend: Spend) -> CollectorError:
    described = f"{method} answered HTTP {status}" + (f" ({reason})" if reason else "")
    if status in TRANSIENT_STATUSES or reason in TRANSIENT_REASONS:
        return UpstreamError(described)
    # The API charges a call it rejects for its parameters.
    spend.add(method)
    return ApiRequestRejected(described)


def _json_or_none(response: httpx.Response) -> object:
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


def channel_items_by_id(items: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in items if isinstance(item.get("id"), str)}
