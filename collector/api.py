"""The HTTP API, for backends that speak neither Python nor Redis: ``collector api``.

Runs, their jobs, their events as server-sent events, health and Prometheus metrics. When
COLLECTOR_API_TOKEN is set, every route but /healthz and the OpenAPI document needs
``Authorization: Bearer <token>``.
"""

# No ``from __future__ import annotations``: FastAPI reads these annotations at run time,
# including those of functions defined inside create_app.
import hmac
import json
from collections.abc import AsyncIterator, Sequence
from importlib import metadata
from typing import Annotated, Any, Literal, cast

import redis
import redis.asyncio as aioredis
from fastapi import (
    APIRouter,
    Depends,
    FastAPI,
    Header,
    HTTPException,
    Path,
    Query,
    Request,
    Response,
    status,
)
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from .client import CollectorClient, RunNotFound
from .config import Settings
from .events import FIRST_ID, RUN_COMPLETED, EventReader, parse_read
from .metrics import registry_for
from .models import Job, JobStatus, Run, RunStatus
from .store import IdempotencyConflict, RunOptions

# Seconds an idle event stream waits before sending a keep-alive comment.
KEEPALIVE_SECONDS = 15

# A stream entry id ("1700000000000-0"), or "$" for only events to come. At most 19 digits a
# part, so it stays below 2**64 and Redis accepts it.
EVENT_ID_PATTERN = r"^(\d{1,19}(-\d{1,19})?|\$)$"
LAST_EVENT_ID_PATTERN = r"^(\d{1,19}(-\d{1,19})?|\$)?$"
NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_.:-]*$"
CHANNEL_ID_PATTERN = r"^UC[A-Za-z0-9_-]{22}$"


Identifier = Annotated[str, StringConstraints(max_length=1000)]
CeleryName = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=NAME_PATTERN)]
# Optional headers default to "" rather than None: OpenAPI has no null header.
IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        pattern=r"^[\x21-\x7e]*$",
        description="a retry with the same key returns the run the first request created",
    ),
]
EventId = Annotated[str, StringConstraints(pattern=EVENT_ID_PATTERN)]


class JobsPage(BaseModel):
    run_id: str
    status: JobStatus | None
    offset: int
    limit: int
    jobs: list[Job]


class ChannelHistory(BaseModel):
    channel_id: str
    snapshots: list[dict[str, Any]]  # oldest first: fetched_at and the channel's counts


class Health(BaseModel):
    redis: Literal["ok", "unreachable"]
    broker: Literal["ok", "unreachable"]


class Problem(BaseModel):
    detail: str


def _problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": Problem} for code in codes}


def create_app(settings: Settings) -> FastAPI:
    client = CollectorClient(settings)
    registry = registry_for(settings, client.store.redis)

    class CreateRun(BaseModel):
        model_config = ConfigDict(extra="forbid")

        identifiers: list[Identifier] = Field(
            min_length=1,
            max_length=settings.api_max_identifiers,
            description="channel references as pasted: @handle, URLs, UC… ids",
        )
        on_complete: CeleryName | None = Field(
            None, description="a Celery task sent with run=<summary> when the run completes"
        )
        on_complete_queue: CeleryName | None = Field(
            None, description="the queue for on_complete (default: celery)"
        )

    bearer = HTTPBearer(auto_error=False)

    def require_token(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> None:
        if not settings.api_token:
            return
        given = credentials.credentials if credentials else ""
        if not hmac.compare_digest(given.encode(), settings.api_token.encode()):
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "a valid bearer token is required",
                headers={"WWW-Authenticate": "Bearer"},
            )

    def existing_run(run_id: str) -> Run:
        try:
            return client.get_run(run_id)
        except RunNotFound as error:
            raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from None

    app = FastAPI(
        title="collector",
        version=metadata.version("collector"),
        description="Resolves YouTube channel identifiers to channel ids and collects their data.",
    )
    api = APIRouter(dependencies=[Depends(require_token)], responses=_problems(401))

    @api.post(
        "/runs",
        status_code=status.HTTP_201_CREATED,
        response_model=Run,
        responses={200: {"model": Run, "description": "an earlier run, by its key"},
                   **_problems(400, 409)},
    )  # fmt: skip
    def create_run(
        body: CreateRun, response: Response, idempotency_key: IdempotencyKey = ""
    ) -> Run:
        """Create a run of identifiers; one job each, processed by the workers."""
        options = RunOptions(body.on_complete, body.on_complete_queue, idempotency_key or None)
        try:
            submission = client.submit(body.identifiers, options)
        except IdempotencyConflict as error:
            raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from None
        if not submission.created:
            response.status_code = status.HTTP_200_OK
        return client.get_run(submission.run_id)

    @api.get("/runs/{run_id}", response_model=Run, responses=_problems(404))
    def get_run(run_id: str) -> Run:
        """A run's status and counts by job status."""
        return existing_run(run_id)

    @api.get("/runs/{run_id}/jobs", response_model=JobsPage, responses=_problems(404))
    def get_jobs(
        run_id: str,
        job_status: Annotated[JobStatus | None, Query(alias="status")] = None,
        offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> JobsPage:
        """A page of the run's jobs in input order, optionally only those in one status."""
        existing_run(run_id)
        jobs = client.store.get_jobs(run_id, status=job_status, offset=offset, limit=limit)
        return JobsPage(run_id=run_id, status=job_status, offset=offset, limit=limit, jobs=jobs)

    @api.get(
        "/runs/{run_id}/events",
        response_class=StreamingResponse,
        responses={
            200: {"content": {"text/event-stream": {}}, "description": "server-sent events"},
            **_problems(404),
        },
    )
    async def run_events(
        run_id: str,
        last_id: Annotated[EventId, Query(description="resume after this event id")] = FIRST_ID,
        last_event_id: Annotated[
            str,
            Header(
                alias="Last-Event-ID",
                pattern=LAST_EVENT_ID_PATTERN,
                description="resume after this event id, as an EventSource sends it",
            ),
        ] = "",
    ) -> StreamingResponse:
        """The run's events as server-sent events, until its run.completed event."""
        await run_in_threadpool(existing_run, run_id)
        return StreamingResponse(
            _event_stream(settings, client, run_id, last_event_id or last_id),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @api.get("/channels/{channel_id}/history", response_model=ChannelHistory)
    def channel_history(
        channel_id: Annotated[str, Path(pattern=CHANNEL_ID_PATTERN, description="UC…")],
    ) -> ChannelHistory:
        """The channel's snapshots across runs, oldest first (none: an empty list)."""
        snapshots = client.get_channel_history(channel_id)
        return ChannelHistory(channel_id=channel_id, snapshots=snapshots)

    @api.get(
        "/metrics",
        response_class=Response,
        responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus"}},
    )
    def get_metrics() -> Response:
        """Prometheus metrics, the same from every replica: they are kept in Redis."""
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/healthz", response_model=Health, responses={503: {"model": Health}})
    def healthz() -> JSONResponse:
        """Whether Redis and the Celery broker answer; 503 if either does not."""
        health = Health(redis=_reachable(client.store.redis.ping), broker=_broker(client))
        ok = health.redis == health.broker == "ok"
        return JSONResponse(health.model_dump(), status_code=200 if ok else 503)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, error: RequestValidationError) -> Response:
        # FastAPI's own handler echoes the input as UTF-8, which fails (a 500) on a lone
        # surrogate sent as "\ud800" in JSON; ASCII-escaped JSON carries any input.
        body = json.dumps({"detail": jsonable_encoder(error.errors())}, ensure_ascii=True)
        return Response(body, 422, media_type="application/json")

    app.include_router(api)
    return app


async def _event_stream(
    settings: Settings, client: CollectorClient, run_id: str, last_id: str
) -> AsyncIterator[str]:
    """The SSE body: the run's events after ``last_id``, until run.completed."""
    keys = client.store.keys
    if last_id == "$":
        last_id = await run_in_threadpool(EventReader(client.store.redis, keys).latest_id, run_id)
    # One connection per stream, opened in the stream's own event loop.
    connection = aioredis.Redis.from_url(settings.redis_url, decode_responses=True)
    try:
        while True:
            # As in CollectorClient.events: once the run is complete, one read drains it.
            run_status = await connection.hget(keys.run(run_id), "status")
            complete = run_status != RunStatus.RUNNING
            reply = await connection.xread(
                {keys.run_events(run_id): last_id},
                count=500,
                block=None if complete else KEEPALIVE_SECONDS * 1000,
            )
            events = parse_read(cast(Sequence[Any] | None, reply))
            if not events and not complete:
                yield ": keep-alive\n\n"
            for event in events:
                last_id = event.id
                data = json.dumps(event.to_dict(), ensure_ascii=False)
                yield f"id: {event.id}\nevent: {event.type}\ndata: {data}\n\n"
                if event.type == RUN_COMPLETED:
                    return
            if complete:
                return
    finally:
        await connection.aclose()


def _reachable(ping: Any) -> Literal["ok", "unreachable"]:
    try:
        ping()
    except (redis.RedisError, OSError):
        return "unreachable"
    return "ok"


def _broker(client: CollectorClient) -> Literal["ok", "unreachable"]:
    if client.settings.effective_broker_url == client.settings.redis_url:
        return _reachable(client.store.redis.ping)
    try:
        with client.celery.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=3)
    except Exception:
        return "unreachable"
    return "ok"
