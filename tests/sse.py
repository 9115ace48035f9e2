"""Parsing a text/event-stream body into its events, as an EventSource would."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any


def sse_events(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """Each event's ``data`` (JSON-decoded) with its ``id`` and ``event`` fields added."""
    fields: dict[str, str] = {}
    for line in lines:
        if not line:
            if "data" in fields:
                yield {**json.loads(fields["data"]), "sse_id": fields.get("id"),
                       "sse_event": fields.get("event")}  # fmt: skip
            fields = {}
        elif not line.startswith(":"):  # a comment: keep-alive
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")
