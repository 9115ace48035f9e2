"""Keeps API keys out of every log line, whatever code wrote it."""

from __future__ import annotations

import logging
from collections.abc import Iterable

REDACTED = "[redacted-api-key]"


class RedactSecrets(logging.Filter):
    """Replaces any configured secret in a record's final message before it is written."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if s)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(secret in message for secret in self.secrets):
            for secret in self.secrets:
                message = message.replace(secret, REDACTED)
            record.msg, record.args = message, None
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            if any(secret in text for secret in self.secrets):
                record.exc_info, record.exc_text = None, text
                for secret in self.secrets:
                    record.exc_text = record.exc_text.replace(secret, REDACTED)
        return True
