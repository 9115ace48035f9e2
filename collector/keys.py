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

    def api_key_search_spent(self, fingerprint: str) -> str:
        """String, present until the reset: the key's project has spent its search.list calls."""
        return f"{self.prefix}apikey:{fingerprint}:search_spent"

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
