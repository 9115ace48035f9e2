"""The backend's API: create a run, read it, follow its events, wait for it to complete.

from collector import client
run_id = client.create_run(["@GoogleDevelopers", "UC_x5XG1OV2P6uZZ5FSM9Ttw"])
for event in client.events(run_id):   # blocking reads; ends after the run.completed event
    ...
run = client.wait(run_id, timeout=600)
jobs = client.get_jobs(run_id, status="FAILED")
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from celery import Celery

from .config import Settings, get_settings
from .enqueue import accept_run
from .events import FIRST_ID, RUN_COMPLETED, Event, EventReader
from .models import Job, JobStatus, Run
from .runtime import CLIENT_REDIS_RETRIES, make_snapshots, make_store, redis_client
from .snapshots import Snapshots
from .store import IdempotencyConflict, RunExists, RunOptions, Store, new_run_id

__all__ = [
    "CollectorClient",
    "IdempotencyConflict",
    "NothingToRetry",
    "RunNotFound",
    "Submission",
]

# How long one blocking read of a run's events waits before checking on the run again.
EVENT_BLOCK_SECONDS = 2.0


class RunNotFound(LookupError):
    """No run has that id (it never existed, or it expired)."""


@dataclass(frozen=True)
class Submission:
    run_id: str
    created: bool  # False: the idempotency key named a run created earlier


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

    @cached_property
    def event_reader(self) -> EventReader:
        return EventReader(self.store.redis, self.store.keys)

    def create_run(
        self,
        identifiers: Iterable[str],
        *,
        on_complete: str | None = None,
        on_complete_queue: str | None = None,
        idempotency_key: str | None = None,
    ) -> str:
        """Write a run and its jobs, then enqueue one task per job; returns the run id.

        ``on_complete`` names a Celery task sent (on ``on_complete_queue``, else ``celery``)
        with ``run=<the run's summary>`` when the run completes. With an ``idempotency_key``
        already used, the earlier run's id is returned and nothing is created.
        """
        options = RunOptions(on_complete, on_complete_queue, idempotency_key)
        return self.submit(identifiers, options).run_id

    def submit(
        self,
        identifiers: Iterable[str],
        options: RunOptions | None = None,
        *,
        retry_of: str | None = None,
    ) -> Submission:
        """create_run, also telling whether the run was created or found by its key."""
        run_id = new_run_id()
        try:
            accept_run(
                self.store,
                self.celery,
                self.settings,
                run_id,
                list(identifiers),
                options,
                retry_of=retry_of,
            )
        except RunExists as existing:
            return Submission(existing.run_id, created=False)
        return Submission(run_id, created=True)

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
        return self.submit(inputs, retry_of=run_id).run_id

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

    def events(
        self, run_id: str, last_id: str = FIRST_ID, timeout: float | None = None
    ) -> Iterator[Event]:
        """The run's events after ``last_id`` as they happen, until the run completes.

        ``last_id`` is the id of the last event seen (resume there), ``0-0`` for every event
        still kept, or ``$`` for only those to come. TimeoutError if the run is still running
        after ``timeout`` s.
        """
        reader = self.event_reader
        if last_id == "$":
            last_id = reader.latest_id(run_id)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            # Checked before reading: once the run is complete, every event of it is written,
            # so one more read drains them even if run.completed itself was trimmed away.
            complete = self.get_run(run_id).is_complete
            block = None if complete else EVENT_BLOCK_SECONDS
            if deadline is not None and block is not None:
                block = max(0.001, min(block, deadline - time.monotonic()))
            batch = reader.read(run_id, last_id, block=block)
            for event in batch:
                last_id = event.id
                yield event
                if event.type == RUN_COMPLETED:
                    return
            if complete:
                return
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"run {run_id} not complete after {timeout:g} s")

    def wait(self, run_id: str, timeout: float) -> Run:
        """The run once COMPLETED; TimeoutError if it is still running after ``timeout`` s."""
        for _event in self.events(run_id, "$", timeout):
            pass
        return self.get_run(run_id)


_default: CollectorClient | None = None


def default_client() -> CollectorClient:
    global _default
    if _default is None:
        _default = CollectorClient()
    return _default


def create_run(
    identifiers: Iterable[str],
    *,
    on_complete: str | None = None,
    on_complete_queue: str | None = None,
    idempotency_key: str | None = None,
) -> str:
    return default_client().create_run(
        identifiers,
        on_complete=on_complete,
        on_complete_queue=on_complete_queue,
        idempotency_key=idempotency_key,
    )


def get_run(run_id: str) -> Run:
    return default_client().get_run(run_id)


def get_jobs(
    run_id: str, status: JobStatus | str | None = None, offset: int = 0, limit: int = 100
) -> list[Job]:
    return default_client().get_jobs(run_id, status, offset, limit)


def retry_run(run_id: str) -> str:
    return default_client().retry_run(run_id)


def events(run_id: str, last_id: str = FIRST_ID, timeout: float | None = None) -> Iterator[Event]:
    return default_client().events(run_id, last_id, timeout)


def wait(run_id: str, timeout: float) -> Run:
    return default_client().wait(run_id, timeout)


def get_channel_history(channel_id: str) -> list[dict[str, Any]]:
    return default_client().get_channel_history(channel_id)
