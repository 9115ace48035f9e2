"""Structured logs: one JSON object a line, carrying a record's ``extra`` fields, never a key.

Code logs a short message and puts what a machine would filter on in ``extra``:
``log.info("job finished", extra={"run_id": ..., "job_id": ..., "error_code": ...})``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import UTC, datetime

from .redaction import REDACTED, RedactSecrets

INPUT_LIMIT = 100

# Attributes every LogRecord has; anything else on a record came from ``extra``.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def clip_input(text: str, limit: int = INPUT_LIMIT) -> str:
    """Raw input as it may appear in a log: at most ``limit`` characters."""
    return text if len(text) <= limit else text[:limit] + f"…(+{len(text) - limit} chars)"


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON line; any configured secret is redacted from the line."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if s)

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in vars(record).items():
            if name not in _STANDARD and not name.startswith("_"):
                document[name] = value
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            document["exception"] = record.exc_text
        line = json.dumps(document, ensure_ascii=False, default=str)
        for secret in self.secrets:
            line = line.replace(secret, REDACTED)
        return line


def configure_handlers(
    handlers: Iterable[logging.Handler], secrets: Iterable[str], log_format: str
) -> None:
    """Redact secrets on every handler and, for ``json``, format its records as JSON lines."""
    secrets = tuple(secrets)
    redactor = RedactSecrets(secrets)
    for handler in handlers:
        handler.addFilter(redactor)
        if log_format == "json":
            handler.setFormatter(JsonFormatter(secrets))
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


def configure_root(secrets: Iterable[str], log_format: str, level: int = logging.INFO) -> None:
    """One handler on stderr for a process that is not a Celery worker (the HTTP API)."""
    root = logging.getLogger()
    root.setLevel(level)
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    configure_handlers(root.handlers, secrets, log_format)
