"""Real YouTube Data API v3 response bodies, and the wire encoding the fake uses.

The JSON files in ``samples/`` are copies of recorded (or, where no public recording exists,
documented-shape) response bodies; see the project's shared youtube-api-samples README for
the origin of each. Error replies are served byte-for-byte from these files; success replies
are generated in the shape of the matching sample (see ``items.py``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

SAMPLES_DIR = Path(__file__).parent / "samples"

# Fault kind (and key state) -> (HTTP status, sample file served verbatim).
ERROR_SAMPLES: dict[str, tuple[int, str]] = {
    "500": (500, "error_500_backendError.json"),
    "503": (503, "error_503_backendError.json"),
    "429": (429, "error_429_rateLimitExceeded_RESOURCE_EXHAUSTED.json"),
    "rateLimitExceeded": (403, "error_403_rateLimitExceeded.json"),
    "userRateLimitExceeded": (403, "error_403_userRateLimitExceeded.json"),
    "quotaExceeded": (403, "error_403_quotaExceeded.json"),
    "dailyLimitExceeded": (403, "error_403_dailyLimitExceeded_legacy.json"),
    "forbidden": (403, "error_403_forbidden.json"),
    "permissionDenied": (403, "error_403_forbidden_PERMISSION_DENIED.json"),
    "keyInvalid": (400, "error_400_keyInvalid_current_API_KEY_INVALID.json"),
    "keyInvalid_legacy": (400, "error_400_keyInvalid_legacy.json"),
    "accessNotConfigured": (403, "error_403_accessNotConfigured_current_SERVICE_DISABLED.json"),
    "accessNotConfigured_legacy": (403, "error_403_accessNotConfigured_legacy.json"),
    "missingRequiredParameter": (400, "error_400_missingRequiredParameter_no_filter.json"),
}


@cache
def sample_bytes(name: str) -> bytes:
    return (SAMPLES_DIR / name).read_bytes()


def sample(name: str) -> Any:
    """A fresh parsed copy of a sample file."""
    return json.loads(sample_bytes(name))


def error_reply(name: str) -> tuple[int, bytes]:
    """(status, body) of a canned error, body exactly as the sample file."""
    status, filename = ERROR_SAMPLES[name]
    return status, sample_bytes(filename)


def encode(obj: Any) -> bytes:
    """UTF-8 JSON with ``<``/``>`` escaped as ``\\u003c``/``\\u003e`` as Google does.

    Google pretty-prints; this stays compact because the C encoder is ~5x faster than the
    indenting one, and the benchmarks push the fake hard. No client may rely on whitespace.
    """
    text = json.dumps(obj, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").encode("utf-8")


def param_error(
    code: int,
    message: str,
    *,
    domain: str,
    reason: str,
    location: str,
    location_type: str = "parameter",
) -> tuple[int, bytes]:
    """A Google error envelope for a request-parameter problem (same shape as the samples)."""
    entry = {
        "message": message,
        "domain": domain,
        "reason": reason,
        "location": location,
        "locationType": location_type,
    }
    return code, encode({"error": {"code": code, "message": message, "errors": [entry]}})


def missing_filter(method: str, filters: str) -> tuple[int, bytes]:
    """The 'No filter selected' 400. channels.list gets the recorded sample verbatim."""
    if method == "channels.list":
        return error_reply("missingRequiredParameter")
    message = f"No filter selected. Expected one of: {filters}"
    return param_error(
        400,
        message,
        domain="youtube.parameter",
        reason="missingRequiredParameter",
        location="parameters.",
        location_type="other",
    )


def required_part() -> tuple[int, bytes]:
    return param_error(
        400, "Required parameter: part", domain="global", reason="required", location="part"
    )


def unknown_part(value: str) -> tuple[int, bytes]:
    # Recorded form: the message is the offending part value itself.
    return param_error(400, value, domain="youtube.part", reason="unknownPart", location="part")


def incompatible(names: Sequence[str]) -> tuple[int, bytes]:
    message = "Incompatible parameters specified in the request: " + ", ".join(names)
    return param_error(
        400,
        message,
        domain="youtube.parameter",
        reason="incompatibleParameters",
        location="parameters.",
        location_type="other",
    )


def too_many_ids() -> tuple[int, bytes]:
    # No public recording; documented reason for an over-long id filter.
    return param_error(
        400,
        "The request specifies an invalid filter parameter.",
        domain="youtube.parameter",
        reason="invalidFilters",
        location="parameters.",
        location_type="other",
    )


def invalid_max_results(value: str) -> tuple[int, bytes]:
    message = f"Invalid value '{value}'. Values must be within the range: [0, 50]"
    return param_error(
        400, message, domain="global", reason="invalidParameter", location="maxResults"
    )


def invalid_page_token() -> tuple[int, bytes]:
    return param_error(
        400,
        "The request specifies an invalid page token.",
        domain="youtube.parameter",
        reason="invalidPageToken",
        location="pageToken",
    )


def playlist_not_found() -> tuple[int, bytes]:
    message = (
        "The playlist identified with the request's <code>playlistId</code> parameter "
        "cannot be found."
    )
    return param_error(
        404,
        message,
        domain="youtube.playlistItem",
        reason="playlistNotFound",
        location="playlistId",
    )


def login_required() -> tuple[int, bytes]:
    """``mine=true`` with only an API key: OAuth is required."""
    message = (
        "Request is missing required authentication credential. Expected OAuth 2 access "
        "token, login cookie or other valid authentication credential. See "
        "https://developers.google.com/identity/sign-in/web/devconsole-project."
    )
    entry = {
        "message": "Login Required.",
        "domain": "global",
        "reason": "required",
        "location": "Authorization",
        "locationType": "header",
    }
    body = {
        "error": {"code": 401, "message": message, "errors": [entry], "status": "UNAUTHENTICATED"}
    }
    return 401, encode(body)


MALFORMED_BODY = (
    b"<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n"
    b"  <title>Error 502 (Server Error)!!1</title>\n"
    b"  <p><b>502.</b> <ins>That\xe2\x80\x99s an error.</ins>\n"
    b"  <p>The server encountered a temporary error and could not complete your request."
    b"<p>Please try again in 30 seconds.  <ins>That\xe2\x80\x99s all we know.</ins>\n"
)
