"""The HTTP API in-process: authentication, validation, runs, jobs, events, health."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
import redis
from fastapi.testclient import TestClient

from collector.api import create_app
from collector.config import Settings
from collector.models import JobStatus
from collector.runtime import make_snapshots, make_store
from tests.celery_messages import queued_tasks
from tests.sse import sse_events
from tests.test_snapshots import add, at, recorded_channel

TOKEN = "test-token-5f2a"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def api_settings(settings: Settings) -> Settings:
    return replace(settings, api_token=TOKEN, api_max_identifiers=50)


@pytest.fixture
def http(api_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(api_settings)) as client:
        yield client


def test_health_needs_no_token_and_says_what_answers(http: TestClient) -> None:
    response = http.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"redis": "ok", "broker": "ok"}


def test_health_is_503_when_redis_is_unreachable(settings: Settings) -> None:
    down = replace(settings, redis_url="redis://127.0.0.1:1/0")
    with TestClient(create_app(down)) as http:
        response = http.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"redis": "unreachable", "broker": "unreachable"}


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/runs"), ("GET", "/runs/r1"), ("GET", "/runs/r1/jobs"),
     ("GET", "/runs/r1/events"), ("GET", "/metrics")],
)  # fmt: skip
@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}],
    ids=["none", "wrong", "no-scheme"],
)
def test_every_route_but_health_needs_the_token(
    http: TestClient, method: str, path: str, headers: dict[str, str]
) -> None:
    response = http.request(method, path, headers=headers, json={"identifiers": ["@a"]})

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_run_is_created_and_read_back(
    http: TestClient, api_settings: Settings, redis_client: redis.Redis
) -> None:
    response = http.post(
        "/runs",
        headers=AUTH,
        json={"identifiers": ["@GoogleDevelopers", "not a channel"], "on_complete": "be.done"},
    )

    assert response.status_code == 201
    run = response.json()
    assert (run["status"], run["total"], run["on_complete"]) == ("RUNNING", 2, "be.done")
    assert run["counts"] == {"PENDING": 2, "PROCESSING": 0, "DONE": 0, "FAILED": 0}
    assert http.get(f"/runs/{run['run_id']}", headers=AUTH).json() == run
    assert len(queued_tasks(redis_client, api_settings.queue)) == 2


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ({"identifiers": []}, "at least 1"),
        ({"identifiers": ["@a"] * 51}, "at most 50"),
        ({}, "Field required"),
        ({"identifiers": "@a"}, "valid list"),
        ({"identifiers": ["x" * 1001]}, "at most 1000"),
        ({"identifiers": ["@a"], "on_complete": "no spaces allowed"}, "pattern"),
        ({"identifiers": ["@a"], "colour": "blue"}, "Extra inputs"),
    ],
    ids=["empty", "too-many", "missing", "not-a-list", "too-long", "bad-task", "unknown-field"],
)
def test_a_bad_run_is_refused_with_a_clear_422_and_nothing_is_created(
    http: TestClient, redis_client: redis.Redis, body: dict[str, object], complaint: str
) -> None:
    response = http.post("/runs", headers=AUTH, json=body)

    assert response.status_code == 422
    assert complaint in response.text
    assert redis_client.dbsize() == 0


def test_a_lone_surrogate_is_refused_not_a_server_error(
    http: TestClient, redis_client: redis.Redis
) -> None:
    body = b'{"identifiers": ["@a\\ud800"]}'
    response = http.post(
        "/runs", headers={**AUTH, "Content-Type": "application/json"}, content=body
    )

    assert response.status_code == 422
    assert "unable to parse raw data as a unicode string" in response.text
    assert redis_client.dbsize() == 0


def test_an_idempotency_key_returns_the_first_run_and_a_different_body_conflicts(
    http: TestClient, api_settings: Settings, redis_client: redis.Redis
) -> None:
    headers = {**AUTH, "Idempotency-Key": "backend-request-42"}
    first = http.post("/runs", headers=headers, json={"identifiers": ["@a", "@b"]})
    again = http.post("/runs", headers=headers, json={"identifiers": ["@a", "@b"]})
    other = http.post("/runs", headers=headers, json={"identifiers": ["@c"]})

    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 409)
    assert again.json()["run_id"] == first.json()["run_id"]
    assert first.json()["run_id"] in other.json()["detail"]
    assert len(queued_tasks(redis_client, api_settings.queue)) == 2


@pytest.mark.parametrize("path", ["/runs/nope", "/runs/nope/jobs", "/runs/nope/events"])
def test_an_unknown_run_is_404(http: TestClient, path: str) -> None:
    response = http.get(path, headers=AUTH)

    assert response.status_code == 404
    assert response.json() == {"detail": "no run 'nope' (unknown, or expired)"}


def test_jobs_are_paged_and_filtered_by_status(
    http: TestClient, api_settings: Settings, redis_client: redis.Redis
) -> None:
    store = make_store(api_settings, redis_client)
    store.write_run("r1", [f"@name{i}" for i in range(6)])
    for job_id in ("1", "4"):
        store.start_job("r1", job_id)
        store.finish_job("r1", job_id, JobStatus.DONE, channel_id=f"UC{job_id}")

    done = http.get("/runs/r1/jobs", headers=AUTH, params={"status": "DONE"}).json()
    page = http.get("/runs/r1/jobs", headers=AUTH, params={"offset": 2, "limit": 3}).json()
    bad = http.get("/runs/r1/jobs", headers=AUTH, params={"status": "LOST", "limit": 0})

    assert [(j["job_id"], j["channel_id"]) for j in done["jobs"]] == [("1", "UC1"), ("4", "UC4")]
    assert [j["job_id"] for j in page["jobs"]] == ["2", "3", "4"]
    assert (page["offset"], page["limit"], page["status"]) == (2, 3, None)
    assert bad.status_code == 422


def test_events_of_a_completed_run_stream_and_end_and_can_resume(
    http: TestClient, api_settings: Settings, redis_client: redis.Redis
) -> None:
    store = make_store(api_settings, redis_client)
    store.write_run("r1", ["@a"])
    store.start_job("r1", "0")
    error = {"code": "not_found", "message": "none", "retryable": False}
    store.finish_job("r1", "0", JobStatus.FAILED, error=error, units=1)

    with http.stream("GET", "/runs/r1/events", headers=AUTH) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = list(sse_events(response.iter_lines()))
    with http.stream(
        "GET", "/runs/r1/events", headers={**AUTH, "Last-Event-ID": events[1]["id"]}
    ) as response:
        rest = list(sse_events(response.iter_lines()))

    assert [e["sse_event"] for e in events] == [
        "run.created", "job.started", "job.finished", "run.completed",
    ]  # fmt: skip
    assert all(e["sse_id"] == e["id"] for e in events)
    assert events[2]["error"] == "not_found"
    assert rest == events[2:]
    assert http.get("/runs/r1/events?last_id=abc", headers=AUTH).status_code == 422


def test_a_channels_history_is_its_snapshots_and_a_bad_id_is_422(
    http: TestClient, api_settings: Settings, redis_client: redis.Redis
) -> None:
    channel_id = recorded_channel().channel_id
    add(make_snapshots(api_settings, redis_client), redis_client, at(2, 100), at(1, 120))

    history = http.get(f"/channels/{channel_id}/history", headers=AUTH)
    unknown = http.get("/channels/UCVHFbqXqoYvEWM1Ddxl0QDg/history", headers=AUTH)
    assert channel_id != "UCVHFbqXqoYvEWM1Ddxl0QDg"
    bad = http.get("/channels/@GoogleDevelopers/history", headers=AUTH)

    assert history.status_code == 200
    assert history.json()["channel_id"] == channel_id
    assert [s["subscriber_count"] for s in history.json()["snapshots"]] == [100, 120]
    assert unknown.json() == {"channel_id": "UCVHFbqXqoYvEWM1Ddxl0QDg", "snapshots": []}
    assert bad.status_code == 422


def test_the_openapi_document_is_served(http: TestClient) -> None:
    document = http.get("/openapi.json").json()

    routes = {"/runs", "/runs/{run_id}", "/runs/{run_id}/jobs", "/runs/{run_id}/events",
              "/channels/{channel_id}/history", "/healthz", "/metrics"}  # fmt: skip
    assert routes <= set(document["paths"])
    assert "HTTPBearer" in document["components"]["securitySchemes"]
