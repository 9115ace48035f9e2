"""Idempotent submission: a retried request returns the first run and pays for nothing more."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import pytest
import redis

from collector.client import CollectorClient, IdempotencyConflict
from collector.config import Settings
from collector.store import RunOptions
from tests.celery_messages import queued_tasks


def test_a_retry_with_the_same_key_returns_the_first_run_and_enqueues_nothing(
    settings: Settings, redis_client: redis.Redis
) -> None:
    client = CollectorClient(settings)

    first = client.submit(["@a", "@b"], RunOptions(idempotency_key="order-17"))
    again = client.submit(["@a", "@b"], RunOptions(idempotency_key="order-17"))
    other = client.create_run(["@a", "@b"], idempotency_key="order-18")
    unkeyed = client.create_run(["@a", "@b"])

    assert first.created and not again.created
    assert again.run_id == first.run_id
    assert len({first.run_id, other, unkeyed}) == 3
    assert len(queued_tasks(redis_client, settings.queue)) == 6  # three runs of two jobs


def test_the_same_key_for_a_different_request_is_a_conflict(settings: Settings) -> None:
    client = CollectorClient(settings)
    run_id = client.create_run(["@a"], idempotency_key="k")

    with pytest.raises(IdempotencyConflict, match=run_id):
        client.create_run(["@b"], idempotency_key="k")
    with pytest.raises(IdempotencyConflict):
        client.create_run(["@a"], idempotency_key="k", on_complete="backend.done")


def test_concurrent_requests_with_one_key_create_one_run(
    settings: Settings, redis_client: redis.Redis
) -> None:
    barrier = threading.Barrier(8)
    run_ids: list[str] = []

    def submit() -> None:
        client = CollectorClient(settings)
        barrier.wait()
        run_ids.append(client.create_run(["@a", "@b", "@c"], idempotency_key="same"))

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(run_ids) == 8 and len(set(run_ids)) == 1
    run_hashes = [key for key in redis_client.scan_iter("collector:run:*") if key.count(":") == 2]
    assert len(run_hashes) == 1
    assert len(queued_tasks(redis_client, settings.queue)) == 3


def test_the_cli_reuses_a_run_by_key_and_refuses_a_conflicting_one(
    worker_env: dict[str, str], tmp_path
) -> None:
    env = {**worker_env, "PATH": "/usr/bin:/bin"}

    def submit(*identifiers: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "collector.cli", "submit", "--idempotency-key", "k1",
             "--json", "--", *identifiers],
            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=30,
        )  # fmt: skip

    first, again, other = submit("@a"), submit("@a"), submit("@b")

    assert first.returncode == again.returncode == 0, first.stderr + again.stderr
    assert json.loads(first.stdout) == json.loads(again.stdout)
    assert other.returncode == 1
    assert "idempotency key was used for run" in other.stderr
