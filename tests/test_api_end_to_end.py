"""The HTTP API as deployed: `collector api` (uvicorn) in front of a real worker."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from tests.celery_messages import queued_tasks
from tests.conftest import API_KEY
from tests.fake_youtube import FakeYouTube
from tests.sse import sse_events

TOKEN = "e2e-token-77c1"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
GOOGLE_DEVELOPERS = "UC_x5XG1OV2P6uZZ5FSM9Ttw"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def api(worker_env: dict[str, str], tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`collector api` on a free loopback port; its base URL and its log file."""
    port = free_port()
    log_path = tmp_path / "api.log"
    env = {**os.environ, **worker_env, "COLLECTOR_API_TOKEN": TOKEN}
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "collector.cli", "api", "--port", str(port)],
            cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert server.poll() is None, log_path.read_text()
        assert time.monotonic() < deadline, log_path.read_text()
        time.sleep(0.1)
    yield base_url, log_path
    server.terminate()
    server.wait(10)


def test_a_backend_submits_follows_events_and_reads_results_over_http(
    api: tuple[str, Path], youtube: FakeYouTube, redis_client: redis.Redis, start_worker
) -> None:
    base_url, log_path = api
    youtube.add_channel(GOOGLE_DEVELOPERS, title="Google Developers", handle="GoogleDevelopers")
    start_worker()
    http = httpx.Client(base_url=base_url, headers=AUTH, timeout=30)
    body = {
        "identifiers": ["@GoogleDevelopers", "@nobody-here", "not a channel"],
        "on_complete": "backend.tasks.run_finished",
        "on_complete_queue": "backend",
    }

    created = http.post("/runs", json=body, headers={"Idempotency-Key": "req-1"})
    assert created.status_code == 201, created.text
    run_id = created.json()["run_id"]
    with http.stream("GET", f"/runs/{run_id}/events") as stream:
        events = list(sse_events(stream.iter_lines()))
    replay = http.post("/runs", json=body, headers={"Idempotency-Key": "req-1"})
    run = http.get(f"/runs/{run_id}").json()
    failed = http.get(f"/runs/{run_id}/jobs", params={"status": "FAILED"}).json()["jobs"]
    done = http.get(f"/runs/{run_id}/jobs", params={"status": "DONE"}).json()["jobs"]

    assert events[0]["type"] == "run.created"
    assert events[-1]["type"] == "run.completed"
    assert sum(e["type"] == "job.finished" for e in events) == 3
    assert (replay.status_code, replay.json()["run_id"]) == (200, run_id)
    assert run["status"] == "COMPLETED"
    assert run["counts"] == {"PENDING": 0, "PROCESSING": 0, "DONE": 1, "FAILED": 2}
    assert [(j["input"], j["channel_id"]) for j in done] == [
        ("@GoogleDevelopers", GOOGLE_DEVELOPERS)
    ]
    assert done[0]["data"]["title"] == "Google Developers"
    assert sorted(j["error"]["code"] for j in failed) == ["invalid_identifier", "not_found"]
    assert youtube.calls("channels.list") == 2  # the replayed request paid for nothing

    metrics = http.get("/metrics").text
    assert 'collector_jobs_total{error_code="not_found",status="FAILED"} 1.0' in metrics
    assert httpx.get(f"{base_url}/runs/{run_id}").status_code == 401
    deadline = time.monotonic() + 10  # the worker sends it just after the completion event
    while not queued_tasks(redis_client, "backend") and time.monotonic() < deadline:
        time.sleep(0.05)
    [callback] = queued_tasks(redis_client, "backend")
    assert callback.kwargs["run"]["run_id"] == run_id

    access = [json.loads(line) for line in log_path.read_text().splitlines() if line[:1] == "{"]
    assert any(f"/runs/{run_id}/events" in line["message"] for line in access)
    assert TOKEN not in log_path.read_text() and API_KEY not in log_path.read_text()
