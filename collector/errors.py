"""One error tree: every failure a job can end with.

Each class carries the job error ``code`` recorded in Redis and whether retrying later
may succeed (``retryable``), so a task needs a single ``except CollectorError``::

    CollectorError                internal_error     (anything unexpected)
     ├── InvalidIdentifier        invalid_identifier
     ├── NotFound                 not_found
     ├── QuotaExhausted           quota_exhausted    retryable
     ├── NoUsableKeys             no_usable_keys
     ├── UpstreamError            upstream_error     retryable
     ├── ApiRequestRejected       api_rejected
     │    ├── ApiForbidden        api_forbidden
     │    └── ResourceNotFound    resource_not_found
     └── WorkerLost               worker_lost

Foreign exceptions (httpx, JSON, the API's error bodies) are translated into this tree in
exactly one place, ``collector.youtube``.
"""

from __future__ import annotations


class CollectorError(Exception):
    """Base of every error a job can record."""

    code = "internal_error"
    retryable = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def as_record(self) -> dict[str, object]:
        return {"code": self.code, "message": self.message, "retryable": self.retryable}


class InvalidIdentifier(CollectorError):
    """The input is not a channel reference we accept; no API call was made."""

    code = "invalid_identifier"


class NotFound(CollectorError):
    """The API answered, and no channel matches the input."""

    code = "not_found"


class QuotaExhausted(CollectorError):
    """Every API key has spent today's quota; retry after the Pacific-time midnight reset."""

    code = "quota_exhausted"
    retryable = True


class NoUsableKeys(CollectorError):
    """Every API key is invalid or disabled: an operator must fix the configuration."""

    code = "no_usable_keys"


class UpstreamError(CollectorError):
    """The API kept failing (5xx, rate limits, timeouts, malformed bodies)."""

    code = "upstream_error"
    retryable = True


class ApiRequestRejected(CollectorError):
    """The API refused the request itself (a 4xx other than quota or key problems)."""

    code = "api_rejected"

    def __init__(self, message: str, *, status: int | None = None, reason: str | None = None):
        super().__init__(message)
        self.status = status
        self.reason = reason  # the API's error reason, e.g. "playlistNotFound"


class ApiForbidden(ApiRequestRejected):
    """The API answered 401 or 403 for the resource asked for (not for the key or quota)."""

    code = "api_forbidden"


class ResourceNotFound(ApiRequestRejected):
    """The API answered 404: the resource asked for (a playlist, a video) does not exist.

    Raised to the step that made the call, which may expect it: a channel without an uploads
    playlist answers 404 ``playlistNotFound``.
    """

    code = "resource_not_found"


class WorkerLost(CollectorError):
    """The job's worker died on every attempt; it is not delivered again."""

    code = "worker_lost"


ERROR_CODES: dict[str, type[CollectorError]] = {
    cls.code: cls
    for cls in (
        CollectorError,
        InvalidIdentifier,
        NotFound,
        QuotaExhausted,
        NoUsableKeys,
        UpstreamError,
        ApiRequestRejected,
        ApiForbidden,
        ResourceNotFound,
        WorkerLost,
    )
}
