"""The backend's API: create a run, read it, wait for it to complete.

from collector import client
run_id = client.create_run(["@GoogleDevelopers", "UC_x5XG1OV2P6uZZ5FSM9Ttw"])
run = client.wait(run_id, timeout=600)
jobs = client.get_jobs(run_id, status="FAILED")
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from functools import cached_property
from typing import Any

from celery import Celery

from .config import Settings, get_settings
from .enqueue import accept_run
from .models import Job, JobStatus, Run
from .runtime import CLIENT_REDIS_RETRIES, make_snapshots, make_store, redis_client
from .snapshots import Snapshots
from .store import Store, new_run_id


class RunNotFound(LookupError):
    """No run has that id (it never existed, or it expired)."""


class NothingToRetry(ValueError):
    """The run is still running, or none of its jobs failed with a retryable error."""


class CollectorClient:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()

    @cached_property
    def store(self) -> Store:
        client = redis_client(self.settings, max_connections=8, retries=CLIENT_REDIS_RETRIES)
        return make_store(self.settings, client)

    @cached_property
    def snapshots(self) -> Snapshots:
        return make_snapshots(self.settings, self.store.redis)

    @cached_property
    def celery(self) -> Celery:
        from .celery_app import app, make_celery

        return app if self.settings == get_settings() else make_celery(self.settings)

    def create_run(self, identifiers: Iterable[str]) -> str:
        """Write a run and its jobs, then enqueue one task per job; returns the run id."""
        return self._start_run(list(identifiers))

    def retry_run(self, run_id: str) -> str:
        """A new run of the completed run's retryable failures, linked to it; its id."""
        run = self.get_run(run_id)
        if not run.is_complete:
            raise NothingToRetry(f"run {run_id} is still running: retry it once it completes")
        inputs = [
            job.input
            for job in self.store.all_jobs(run_id)
            if job.status is JobStatus.FAILED and job.error and job.error.get("retryable")
        ]
        if not inputs:
            raise NothingToRetry(f"run {run_id} has no retryable failures")
        return self._start_run(inputs, retry_of=run_id)

    def _start_run(self, identifiers: list[str], retry_of: str | None = None) -> str:
        run_id = new_run_id()
        accept_run(self.store, self.celery, self.settings, run_id, identifiers, retry_of=retry_of)
        return run_id

    def get_run(self, run_id: str) -> Run:
        run = self.store.get_run(run_id)
        if run is None:
            raise RunNotFound(f"no run {run_id!r} (unknown, or expired)")
        return run

    def get_jobs(
        self,
        run_id: str,
        status: JobStatus | str | None = None,
        offset: int = 0,
        limit: int = 100,
    ) -> list[Job]:
        self.get_run(run_id)
        wanted = JobStatus(status) if status is not None else None
        return self.store.get_jobs(run_id, status=wanted, offset=offset, limit=limit)

    def all_jobs(self, run_id: str) -> list[Job]:
        """Every job of the run, in input order."""
        self.get_run(run_id)
        return self.store.all_jobs(run_id)

    def get_channel_history(self, channel_id: str) -> list[dict[str, Any]]:
        """The channel's snapshots (counts at each ``fetched_at``), oldest first; [] if none."""
        return self.snapshots.history(channel_id)

    def wait(self, run_id: str, timeout: float, poll_interval: float = 0.2) -> Run:
        """The run once COMPLETED; TimeoutError if it is still running after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while True:
            run = self.get_run(run_id)
            if run.is_complete:
                return run
            if time.monotonic() >= deadline:
                raise TimeoutError(f"run {run_id} not complete after {timeout:g} s")
            time.sleep(poll_interval)


_default: CollectorClient | None = None


def default_client() -> CollectorClient:
    global _default
    if _default is None:
        _default = CollectorClient()
    return _default


def create_run(identifiers: Iterable[str]) -> str:
    return default_client().create_run(identifiers)


def get_run(run_id: str) -> Run:
    return default_client().get_run(run_id)


def get_jobs(
    run_id: str, status: JobStatus | str | None = None, offset: int = 0, limit: int = 100
) -> list[Job]:
    return default_client().get_jobs(run_id, status, offset, limit)


def retry_run(run_id: str) -> str:
    return default_client().retry_run(run_id)


def wait(run_id: str, timeout: float, poll_interval: float = 0.2) -> Run:
    return default_client().wait(run_id, timeout, poll_interval)


def get_channel_history(channel_id: str) -> list[dict[str, Any]]:
    return default_client().get_channel_history(channel_id)
