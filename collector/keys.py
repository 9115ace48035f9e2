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

    def api_keys_announced(self) -> str:
        """Hash: fingerprint -> project label ('' for none) of every key a worker has used."""
        return f"{self.prefix}apikeys"

    def leases(self) -> str:
        """Sorted set of ``run_id:job_id`` of PROCESSING jobs, scored by lease deadline."""
        return f"{self.prefix}leases"

    def running_runs(self) -> str:
        """Set of the ids of runs not yet COMPLETED (the reaper prunes completed ones)."""
        return f"{self.prefix}runs:running"

    def stranded_suspects(self) -> str:
        """Set of ``run_id:job_id`` that looked stranded on the reaper's last pass."""
        return f"{self.prefix}reaper:suspects"

    def reaper_lock(self) -> str:
        """String held by the one worker whose reaper acts this interval."""
        return f"{self.prefix}reaper:lock"

    def api_key_disabled(self, fingerprint: str) -> str:
        """String holding why the key is unusable (invalid, disabled)."""
        return f"{self.prefix}apikey:{fingerprint}:disabled"

    def quota_project(self, day: str, project_id: str) -> str:
        """Hash: one project's quota on one Pacific-time day.

        Fields: ``units`` spent, ``searches`` (search.list calls), and the flags
        ``exhausted`` / ``search_exhausted`` once the API has said so.
        """
        return f"{self.prefix}quota:{day}:project:{project_id}"

    def quota_key(self, day: str, fingerprint: str) -> str:
        """Hash: units one key spent on one Pacific-time day, one field per API method."""
        return f"{self.prefix}quota:{day}:key:{fingerprint}"

    def rate_bucket(self) -> str:
        """Hash: the token bucket of the global request-rate limit (``tokens``, ``at``)."""
        return f"{self.prefix}ratelimit"

    def parked_jobs(self) -> str:
        """Sorted set of parked jobs (JSON task kwargs), scored by when to enqueue them again."""
        return f"{self.prefix}parked"

    def parked_release_lock(self) -> str:
        """String held by the one worker releasing due parked jobs."""
        return f"{self.prefix}parked:lock"

    def resolution(self, cache_key: str) -> str:
        """String: the channel id an identifier resolved to, or NOT_FOUND (kept briefly)."""
        return f"{self.prefix}resolve:{cache_key}"

    def channel_data(self, channel_id: str, recent_videos: int) -> str:
        """String: the channel's collected data (JSON), kept while it is fresh enough to reuse.

        Keyed by the number of recent uploads collected, so a worker configured for more
        never takes data that has fewer."""
        return f"{self.prefix}channel:{channel_id}:data:{recent_videos}"

    def channel_claim(self, channel_id: str) -> str:
        """String: the token of the worker fetching this channel now (single flight)."""
        return f"{self.prefix}channel:{channel_id}:claim"

    def channel_snapshots(self, channel_id: str) -> str:
        """Sorted set of the channel's snapshots (JSON), scored by fetched_at (epoch seconds)."""
        return f"{self.prefix}channel:{channel_id}:snapshots"
