"""A fake YouTube Data API v3 on loopback for tests; see ``server.py``."""

from .server import FAULT_KINDS, FakeYouTube, RecordedRequest

__all__ = ["FAULT_KINDS", "FakeYouTube", "RecordedRequest"]
