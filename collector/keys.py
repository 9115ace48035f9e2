"""Every Redis key this service writes, in one place, under a configurable prefix.

Celery's queue and kombu's own bookkeeping keys live beside these and ignore the prefix.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Keys:
    prefix: str = "collector:"

    def run(self, run_id: str) -> str:
        """Hash: the run's fields and one counter per job status."""
        return f"{self.prefix}run:{run_id}"

    def run_jobs_by_status(self, run_id: str, status: str) -> str:
        """Sorted set of the run's job ids in ``status``, scored by input position."""
        return f"{self.prefix}run:{run_id}:status:{status}"

    def job(self, run_id: str, job_id: str) -> str:
        """Hash: one job's fields."""
        return f"{self.prefix}job:{run_id}:{job_id}"

    def job_pattern(self, run_id: str) -> str:
        return f"{self.prefix}job:{run_id}:"

    def run_events(self, run_id: str) -> str:
        """Stream of the run's events, oldest first; expires with the run."""
        return f"{self.prefix}run:{run_id}:events"

    def events(self) -> str:
        """Stream of every run's events, trimmed to COLLECTOR_EVENTS_MAXLEN."""
        return f"{self.prefix}events"

    def outbox(self) -> str:
        """Sorted set of run ids whose completion callback is unsent, scored by when due."""
        return f"{self.prefix}outbox"

    def idempotency(self, key: str) -> str:
        """String: the run id created with this idempotency key."""
        return f"{self.prefix}idempotency:{key}"

    def metrics(self) -> str:
        """Hash of counters shared by every process (see ``collector.metrics``)."""
        return f"{self.prefix}metrics"

    def api_key_fingerprints(self) -> str:
        """Set of the fingerprints of every API key a worker has been configured with."""
        return f"{self.prefix}apikeys"

    def leases(self) -> str:
        """Sorted set of ``run_id:job_id`` of PROCESSING jobs, scored by lease deadline."""
        return f"{self.prefix}leases"

    def reaper_lock(self) -> str:
        """String held by the one worker whose reaper acts this interval."""
        return f"{self.prefix}reaper:lock"

    def api_key_exhausted(self, fingerprint: str) -> str:
        """String, present until the key's quota resets (Pacific midnight)."""
        return f"{self.prefix}apikey:{fingerprint}:exhausted"

    def api_key_disabled(self, fingerprint: str) -> str:
        """String holding why the key is unusable (invalid, disabled)."""
        return f"{self.prefix}apikey:{fingerprint}:disabled"
