"""Completion callbacks: publishing the outbox entries the store writes as runs complete.

The Lua step that completes a run with an ``on_complete`` task adds the run id to the outbox, a
sorted set scored by when the entry is due (0: now). A publisher claims an entry by moving its
score to now + the claim time, sends the task, then removes the entry. If it dies in between,
the claim lapses and another publisher sends it: a callback may be sent twice after a crash
(the receiver drops the duplicate by run id), never lost.

The worker that completes a run publishes at once (``publish``); every worker also sweeps the
outbox every COLLECTOR_OUTBOX_INTERVAL seconds for entries whose publisher died
(``publish_due``).
"""

from __future__ import annotations

import logging
import time

from celery import Celery

from .config import Settings
from .periodic import PeriodicThread
from .store import Store

log = logging.getLogger(__name__)

# Celery's own default queue, where a backend's worker listens unless told otherwise.
DEFAULT_CALLBACK_QUEUE = "celery"

# KEYS[1] outbox. ARGV: now, claim_until, limit[, run_id]. Claims due entries (or one run's).
_CLAIM_LUA = """
local due
if ARGV[4] then
  local score = redis.call('ZSCORE', KEYS[1], ARGV[4])
  if not score or tonumber(score) > tonumber(ARGV[1]) then return {} end
  due = {ARGV[4]}
else
  due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
end
for _, run_id in ipairs(due) do redis.call('ZADD', KEYS[1], ARGV[2], run_id) end
return due
"""


class OutboxPublisher:
    """Sends each completed run's ``on_complete`` task, by name, with the run's summary."""

    def __init__(self, store: Store, app: Celery, *, claim_seconds: int) -> None:
        self.store = store
        self.app = app
        self.claim_seconds = claim_seconds
        self._claim = store.redis.register_script(_CLAIM_LUA)

    def publish(self, run_id: str) -> bool:
        """Send this run's callback if it is due and unclaimed; True if this call sent it."""
        return self._publish_claimed(self._claim_due(1, run_id)) == 1

    def publish_due(self, limit: int = 100) -> int:
        """Send every due callback (up to ``limit``); the number sent."""
        return self._publish_claimed(self._claim_due(limit))

    def _claim_due(self, limit: int, run_id: str | None = None) -> list[str]:
        now = time.time()
        args: list[str | float] = [now, now + self.claim_seconds, limit]
        if run_id is not None:
            args.append(run_id)
        return [str(claimed) for claimed in self._claim(keys=[self.store.keys.outbox()], args=args)]

    def _publish_claimed(self, run_ids: list[str]) -> int:
        sent = 0
        for run_id in run_ids:
            try:
                sent += self._send(run_id)
            except Exception:
                # Left claimed: it is due again when the claim lapses.
                log.exception("completion callback of run %s not sent; will retry", run_id)
        return sent

    def _send(self, run_id: str) -> bool:
        run = self.store.get_run(run_id)
        if run is None or run.on_complete is None:
            log.error("run %s has no callback to send (expired?); dropped from the outbox", run_id)
        else:
            self.app.send_task(
                run.on_complete,
                kwargs={"run": run.to_dict()},
                queue=run.on_complete_queue or DEFAULT_CALLBACK_QUEUE,
                task_id=f"on-complete-{run_id}",
            )
            log.info(
                "completion callback sent",
                extra={"run_id": run_id, "task": run.on_complete, "queue": run.on_complete_queue},
            )
        self.store.redis.zrem(self.store.keys.outbox(), run_id)
        return run is not None and run.on_complete is not None


def outbox_thread(app: Celery, settings: Settings, store: Store) -> PeriodicThread:
    """The worker's outbox sweep."""
    publisher = OutboxPublisher(store, app, claim_seconds=settings.outbox_claim_seconds)
    return PeriodicThread("collector-outbox", settings.outbox_interval, publisher.publish_due)
