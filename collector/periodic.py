"""Background chores of a worker's main process (there is no beat process to run them)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class PeriodicThread(threading.Thread):
    """Calls ``action`` every ``interval`` seconds until stopped; an error only skips one call."""

    def __init__(self, name: str, interval: float, action: Callable[[], object]) -> None:
        super().__init__(name=name, daemon=True)
        self.interval = interval
        self.action = action
        self._stopped = threading.Event()

    def run(self) -> None:
        while not self._stopped.wait(self.interval):
            try:
                self.action()
            except Exception:
                # Redis unreachable for a moment must not end the thread: try again later.
                log.exception("%s failed; trying again in %g s", self.name, self.interval)

    def stop(self) -> None:
        self._stopped.set()
