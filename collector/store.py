"""The only code that reads or writes Run and Job state in Redis.

Every transition is one Lua script, so a job's status, its run's counters and the run's
completion change together or not at all, whatever number of workers race on them:

    PENDING ──start──▶ PROCESSING ──finish──▶ DONE | FAILED
                          │  ▲
                          └──┘ start again: a redelivery (its worker died); attempts + 1

A terminal job never changes again, and a run turns COMPLETED exactly once, in the step that
makes its last job terminal. Counters live on the run's hash, so reading a run is O(1).
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, cast

import redis
from redis.client import Pipeline
from redis.commands.core import Script

from .errors import WorkerLost
from .keys import Keys
from .metrics import DURATION_BUCKETS
from .models import Job, JobStatus, Run, RunStatus

STATUSES = [str(status) for status in JobStatus]

# The keys of every transition, in this order (``Store._transition_keys``):
#   k[1] job, k[2] run, k[3] leases, k[4..7] the run's job ids by status (PENDING, PROCESSING,
#   DONE, FAILED), k[8] the run's events, k[9] every run's events, k[10] outbox, k[11] metrics.
# limits: {run events maxlen, events maxlen}.
#
# finish(k, member, to, now, ttl, job_prefix, fields, limits)
#   -> 0 ignored, 1 finished, 2 finished and completed the run.
# It writes the job's event, the run's completion event and (when the run asked for a callback)
# the outbox entry in the same step as the transition, so none can be lost or written twice.
_FINISH_LUA = (
    "local DURATION_BUCKETS = {"
    + ", ".join(f"'{bound:g}'" for bound in DURATION_BUCKETS)
    + """}

local function emit(k, limits, event)
  redis.call('XADD', k[8], 'MAXLEN', '~', limits[1], '*', unpack(event))
  redis.call('XADD', k[9], 'MAXLEN', '~', limits[2], '*', unpack(event))
end

local function error_code(record)
  if not record then return '' end
  local ok, error = pcall(cjson.decode, record)
  if ok and type(error) == 'table' and type(error.code) == 'string' then return error.code end
  return 'internal_error'
end

local function observe_duration(metrics, seconds)
  local bucket = '+Inf'
  for _, bound in ipairs(DURATION_BUCKETS) do
    if seconds <= tonumber(bound) then bucket = bound break end
  end
  redis.call('HINCRBY', metrics, 'duration|' .. bucket, 1)
  redis.call('HINCRBYFLOAT', metrics, 'duration_sum', seconds)
end

local function finish(k, member, to, now, ttl, job_prefix, fields, limits)
  local job, run, leases, metrics = k[1], k[2], k[3], k[11]
  local zset = {PENDING = k[4], PROCESSING = k[5], DONE = k[6], FAILED = k[7]}
  local from = redis.call('HGET', job, 'status')
  if from ~= 'PENDING' and from ~= 'PROCESSING' then return 0 end
  local index = redis.call('HGET', job, 'index')
  local job_id = redis.call('HGET', job, 'job_id')
  redis.call('HSET', job, 'status', to, 'finished_at', now, unpack(fields))
  redis.call('ZREM', zset[from], job_id)
  redis.call('ZADD', zset[to], index, job_id)
  redis.call('ZREM', leases, member)
  redis.call('HINCRBY', run, from, -1)
  redis.call('HINCRBY', run, to, 1)
  local j = redis.call('HMGET', job, 'units', 'run_id', 'channel_id', 'error', 'duration')
  if j[1] then redis.call('HINCRBY', run, 'units', j[1]) end
  local code = error_code(j[4])
  local event = {'type', 'job.finished', 'run_id', j[2], 'job_id', job_id, 'status', to}
  if j[3] then event[#event + 1] = 'channel_id'; event[#event + 1] = j[3] end
  if code ~= '' then event[#event + 1] = 'error'; event[#event + 1] = code end
  if j[1] then event[#event + 1] = 'units'; event[#event + 1] = j[1] end
  event[#event + 1] = 'ts'; event[#event + 1] = now
  emit(k, limits, event)
  redis.call('HINCRBY', metrics, 'jobs|' .. to .. '|' .. code, 1)
  if j[5] then observe_duration(metrics, tonumber(j[5])) end
  local r = redis.call('HMGET', run, 'DONE', 'FAILED', 'total', 'status', 'units', 'on_complete')
  if tonumber(r[1]) + tonumber(r[2]) < tonumber(r[3]) or r[4] ~= 'RUNNING' then return 1 end
  redis.call('HSET', run, 'status', 'COMPLETED', 'completed_at', now)
  emit(k, limits, {'type', 'run.completed', 'run_id', j[2], 'status', 'COMPLETED',
    'total', r[3], 'done', r[1], 'failed', r[2], 'units', r[5] or '0', 'ts', now})
  redis.call('HINCRBY', metrics, 'runs_completed', 1)
  if r[6] then redis.call('ZADD', k[10], 0, j[2]) end
  for i = 2, 8 do if i ~= 3 then redis.call('EXPIRE', k[i], ttl) end end
  for i = 0, tonumber(r[3]) - 1 do redis.call('EXPIRE', job_prefix .. i, ttl) end
  return 2
end
"""
)

# ARGV: member, now, ttl, job_prefix, lease_deadline, max_attempts, worker_lost_error,
#       run_events_maxlen, events_maxlen
_START_LUA = (
    _FINISH_LUA
    + """
local limits = {ARGV[8], ARGV[9]}
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return {'missing', 0} end
if status == 'DONE' or status == 'FAILED' then
  return {'terminal', tonumber(redis.call('HGET', KEYS[1], 'attempts'))}
end
local attempts = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
if attempts > tonumber(ARGV[6]) then
  finish(KEYS, ARGV[1], 'FAILED', ARGV[2], ARGV[3], ARGV[4], {'error', ARGV[7]}, limits)
  return {'exhausted', attempts}
end
redis.call('HSET', KEYS[1], 'status', 'PROCESSING', 'started_at', ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[5], ARGV[1])
local job = redis.call('HMGET', KEYS[1], 'job_id', 'run_id', 'index')
emit(KEYS, limits, {'type', 'job.started', 'run_id', job[2], 'job_id', job[1],
  'status', 'PROCESSING', 'attempt', attempts, 'ts', ARGV[2]})
if status == 'PENDING' then
  redis.call('ZREM', KEYS[4], job[1])
  redis.call('ZADD', KEYS[5], job[3], job[1])
  redis.call('HINCRBY', KEYS[2], 'PENDING', -1)
  redis.call('HINCRBY', KEYS[2], 'PROCESSING', 1)
  return {'started', attempts}
end
return {'taken_over', attempts}
"""
)

# ARGV: member, to, now, ttl, job_prefix, run_events_maxlen, events_maxlen, n,
#       n pairs (metric, amount), then field, value, ...
# The metric amounts (the job's API calls) are added even when the job was already terminal:
# a duplicate delivery's calls were made all the same.
_FINISH_SCRIPT_LUA = (
    _FINISH_LUA
    + """
local counts_end = 8 + 2 * tonumber(ARGV[8])
for i = 9, counts_end, 2 do redis.call('HINCRBY', KEYS[11], ARGV[i], ARGV[i + 1]) end
local fields = {}
for i = counts_end + 1, #ARGV do fields[#fields + 1] = ARGV[i] end
return finish(KEYS, ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], fields, {ARGV[6], ARGV[7]})
"""
)

# KEYS: job, run, leases, z_pending, z_processing, parked, run events, events, metrics.
# ARGV: lease member, parked member, release time, units spent, parked_until (ISO 8601),
#       run_events_maxlen, events_maxlen, now, then (metric, amount) pairs: the job's API calls.
# PROCESSING -> PENDING, out of the leases and into the parked set. The attempt is given back:
# it was cut short by quota, not by a dying worker. Its units count in the run's total.
_PARK_LUA = """
for i = 9, #ARGV, 2 do redis.call('HINCRBY', KEYS[9], ARGV[i], ARGV[i + 1]) end
if redis.call('HGET', KEYS[1], 'status') ~= 'PROCESSING' then return 0 end
local job_id = redis.call('HGET', KEYS[1], 'job_id')
local event = {'type', 'job.parked', 'run_id', redis.call('HGET', KEYS[1], 'run_id'),
  'job_id', job_id, 'status', 'PENDING', 'parked_until', ARGV[5], 'ts', ARGV[8]}
redis.call('XADD', KEYS[7], 'MAXLEN', '~', ARGV[6], '*', unpack(event))
redis.call('XADD', KEYS[8], 'MAXLEN', '~', ARGV[7], '*', unpack(event))
redis.call('HSET', KEYS[1], 'status', 'PENDING', 'parked_until', ARGV[5])
redis.call('HINCRBY', KEYS[1], 'attempts', -1)
redis.call('ZREM', KEYS[5], job_id)
redis.call('ZADD', KEYS[4], redis.call('HGET', KEYS[1], 'index'), job_id)
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('HINCRBY', KEYS[2], 'PROCESSING', -1)
redis.call('HINCRBY', KEYS[2], 'PENDING', 1)
redis.call('HINCRBY', KEYS[2], 'units', ARGV[4])
redis.call('ZADD', KEYS[6], ARGV[3], ARGV[2])
return 1
"""


# ARGV: now, limit, new_deadline -> members whose lease had expired, now leased to the caller.
_CLAIM_EXPIRED_LUA = """
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
for _, member in ipairs(expired) do redis.call('ZADD', KEYS[1], ARGV[3], member) end
return expired
"""


class StartOutcome(StrEnum):
    STARTED = "started"  # first delivery
    TAKEN_OVER = "taken_over"  # a redelivery: the previous attempt's worker died
    TERMINAL = "terminal"  # already DONE or FAILED: a late or duplicate delivery
    EXHAUSTED = "exhausted"  # too many attempts: recorded FAILED worker_lost
    MISSING = "missing"  # no such job (expired, or never written)

    @property
    def should_process(self) -> bool:
        return self in (StartOutcome.STARTED, StartOutcome.TAKEN_OVER)


@dataclass(frozen=True)
class JobStart:
    outcome: StartOutcome
    attempts: int
    prefetched: Mapping[str, str | None] = field(default_factory=dict)  # key -> value or None


class FinishOutcome(StrEnum):
    IGNORED = "ignored"  # the job was already terminal
    FINISHED = "finished"
    COMPLETED_RUN = "completed_run"  # this finish made the run COMPLETED


@dataclass(frozen=True)
class NewJob:
    job_id: str
    identifier: str


@dataclass(frozen=True)
class RunOptions:
    """What a run asks for beyond its identifiers; kept on the run's hash."""

    on_complete: str | None = None  # a Celery task name, sent with the run when it completes
    on_complete_queue: str | None = None
    idempotency_key: str | None = None


class RunExists(Exception):
    """The idempotency key already names a run, created by an identical request."""

    def __init__(self, run_id: str) -> None:
        super().__init__(run_id)
        self.run_id = run_id


class IdempotencyConflict(ValueError):
    """The idempotency key names a run created from other identifiers or options."""


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_run_id() -> str:
    return uuid.uuid4().hex


class Store:
    """Run and Job state over a Redis client (which must decode responses)."""

    def __init__(
        self,
        client: redis.Redis,
        keys: Keys,
        *,
        run_ttl_seconds: int,
        lease_seconds: int,
        max_attempts: int,
        run_events_maxlen: int = 100_000,
        events_maxlen: int = 100_000,
    ) -> None:
        self.redis = client
        self.keys = keys
        self.run_ttl_seconds = run_ttl_seconds
        self.lease_seconds = lease_seconds
        self.max_attempts = max_attempts
        self.event_limits = [run_events_maxlen, events_maxlen]
        # What a job's last start records should its worker have died on every attempt.
        self._worker_lost_record = json.dumps(self.worker_lost_error().as_record())
        self._start = client.register_script(_START_LUA)
        self._finish = client.register_script(_FINISH_SCRIPT_LUA)
        self._claim_expired = client.register_script(_CLAIM_EXPIRED_LUA)
        self._park = client.register_script(_PARK_LUA)

    # -- writing ------------------------------------------------------------------------

    def pipeline(self) -> Pipeline:
        """Commands to send later in one round trip, such as with ``finish_job``."""
        return self.redis.pipeline(transaction=False)

    def write_run(
        self,
        run_id: str,
        identifiers: Sequence[str],
        options: RunOptions | None = None,
        *,
        retry_of: str | None = None,
        also: Callable[[redis.client.Pipeline, list[NewJob]], None] | None = None,
    ) -> list[NewJob]:
        """Write a new run and its PENDING jobs in one transaction; return the jobs.

        If ``options.idempotency_key`` already names a run, nothing is written and RunExists
        (or IdempotencyConflict, for a different request) names that run. ``retry_of`` links a
        run made of an older run's retryable failures to that run. ``also`` adds its own writes
        (the jobs' task messages) to the same transaction.
        """
        if not identifiers:
            raise ValueError("a run needs at least one identifier")
        options = options or RunOptions()
        jobs = [
            NewJob(job_id=str(index), identifier=text) for index, text in enumerate(identifiers)
        ]
        digest = _request_digest(identifiers, options)
        claim = self.keys.idempotency(options.idempotency_key) if options.idempotency_key else None
        with self.redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    if claim is not None:
                        # WATCH: a concurrent request with the same key makes EXEC fail, and
                        # the retry then finds the run that request created.
                        pipe.watch(claim)  # type: ignore[no-untyped-call]
                        existing = cast(str | None, pipe.get(claim))
                        if existing is not None:
                            raise self._replay(existing, digest)
                        pipe.multi()
                        pipe.set(claim, run_id, ex=self.run_ttl_seconds)
                    self._write_run(pipe, run_id, jobs, options, digest, retry_of)
                    if also is not None:
                        also(pipe, jobs)
                    pipe.execute()
                    return jobs
                except redis.WatchError:
                    continue

    def _replay(self, run_id: str, digest: str) -> Exception:
        if self.redis.hget(self.keys.run(run_id), "request_digest") not in (digest, None):
            return IdempotencyConflict(
                f"the idempotency key was used for run {run_id}, made from other identifiers "
                "or options"
            )
        return RunExists(run_id)

    def _write_run(
        self,
        pipe: redis.client.Pipeline,
        run_id: str,
        jobs: list[NewJob],
        options: RunOptions,
        digest: str,
        retry_of: str | None,
    ) -> None:
        now = utc_now()
        run: dict[Any, str | int] = {
            "run_id": run_id,
            "status": str(RunStatus.RUNNING),
            "created_at": now,
            "total": len(jobs),
            "units": 0,
            "request_digest": digest,
            JobStatus.PENDING: len(jobs),
            JobStatus.PROCESSING: 0,
            JobStatus.DONE: 0,
            JobStatus.FAILED: 0,
        }
        for name in ("on_complete", "on_complete_queue", "idempotency_key"):
            if getattr(options, name) is not None:
                run[name] = getattr(options, name)
        if retry_of:
            run["retry_of"] = retry_of
        pipe.hset(self.keys.run(run_id), mapping=run)
        for index, job in enumerate(jobs):
            pipe.hset(
                self.keys.job(run_id, job.job_id),
                mapping={
                    "job_id": job.job_id,
                    "run_id": run_id,
                    "index": index,
                    "input": job.identifier,
                    "status": str(JobStatus.PENDING),
                    "attempts": 0,
                },
            )
        pipe.zadd(
            self.keys.run_jobs_by_status(run_id, JobStatus.PENDING),
            {job.job_id: index for index, job in enumerate(jobs)},
        )
        event = {"type": "run.created", "run_id": run_id, "status": "RUNNING",
                 "total": len(jobs), "ts": now}  # fmt: skip
        for stream, limit in zip(
            (self.keys.run_events(run_id), self.keys.events()), self.event_limits, strict=True
        ):
            pipe.xadd(stream, event, maxlen=limit, approximate=True)  # type: ignore[arg-type]
        pipe.hincrby(self.keys.metrics(), "runs_created", 1)
        pipe.sadd(self.keys.running_runs(), run_id)

    def worker_lost_error(self) -> WorkerLost:
        return WorkerLost(
            f"the job's worker died on each of {self.max_attempts} attempts; not retried again"
        )

    def start_job(self, run_id: str, job_id: str, *, prefetch: Sequence[str] = ()) -> JobStart:
        """Move a job to PROCESSING (or take it over from a dead worker).

        The string values of the ``prefetch`` keys (the job's first cache reads) are read in
        the same round trip, before the step.
        """
        keys = self._transition_keys(run_id, job_id)
        args: list[str | int | float] = [
            f"{run_id}:{job_id}",
            utc_now(),
            self.run_ttl_seconds,
            self.keys.job_pattern(run_id),
            time.time() + self.lease_seconds,
            self.max_attempts,
            self._worker_lost_record,
            *self.event_limits,
        ]
        reads = self.pipeline()
        for key in prefetch:
            reads.get(key)
        (outcome, attempts), values = _run_after(reads, self._start, keys, args)
        return JobStart(
            StartOutcome(outcome), int(attempts), dict(zip(prefetch, values, strict=True))
        )

    def finish_job(
        self,
        run_id: str,
        job_id: str,
        status: JobStatus,
        *,
        channel_id: str | None = None,
        data: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
        route: str | None = None,
        units: int = 0,
        duration: float | None = None,
        metrics: Mapping[str, int] | None = None,
        writes: Pipeline | None = None,
    ) -> FinishOutcome:
        """Record a terminal status; a job already terminal is left as it is.

        ``duration`` is the seconds this attempt worked on the job, for the duration metric;
        ``metrics`` are amounts to add to other metrics fields (the job's API calls);
        ``writes``, commands the job queued (its cache writes), are sent first, in the same
        round trip.
        """
        if not status.is_terminal:
            raise ValueError(f"finish_job needs DONE or FAILED, not {status}")
        fields: list[Any] = ["units", units]
        if channel_id is not None:
            fields += ["channel_id", channel_id]
        if data is not None:
            fields += ["data", json.dumps(data, ensure_ascii=False)]
        if error is not None:
            fields += ["error", json.dumps(error, ensure_ascii=False)]
        if route is not None:
            fields += ["route", route]
        if duration is not None:
            fields += ["duration", f"{duration:.6f}"]
        keys = self._transition_keys(run_id, job_id)
        args = [
            f"{run_id}:{job_id}",
            str(status),
            utc_now(),
            self.run_ttl_seconds,
            self.keys.job_pattern(run_id),
            *self.event_limits,
            len(metrics or ()),
            *_pairs(metrics),
            *fields,
        ]
        result, _ = _run_after(writes, self._finish, keys, args)
        return [FinishOutcome.IGNORED, FinishOutcome.FINISHED, FinishOutcome.COMPLETED_RUN][
            int(result)
        ]

    def claim_expired_leases(self, limit: int = 100) -> list[tuple[str, str]]:
        """(run_id, job_id) of PROCESSING jobs whose lease ran out, each leased again to the
        caller so that no other reaper takes it meanwhile."""
        now = time.time()
        members = self._claim_expired(
            keys=[self.keys.leases()], args=[now, limit, now + self.lease_seconds]
        )
        return [(run_id, job_id) for run_id, _, job_id in (m.partition(":") for m in members)]

    def drop_lease(self, run_id: str, job_id: str) -> None:
        self.redis.zrem(self.keys.leases(), f"{run_id}:{job_id}")

    def park_job(
        self,
        run_id: str,
        job_id: str,
        identifier: str,
        *,
        release_at: float,
        units: int,
        metrics: Mapping[str, int] | None = None,
    ) -> bool:
        """Put a PROCESSING job back to PENDING until ``release_at`` (a Unix time).

        It waits in the parked set, whose members are the task's kwargs as JSON, until a
        worker enqueues it again. False if the job was not PROCESSING (left as it is).
        """
        member = json.dumps({"run_id": run_id, "job_id": job_id, "identifier": identifier})
        until = datetime.fromtimestamp(release_at, UTC).isoformat(timespec="seconds")
        parked = self._park(
            keys=[
                self.keys.job(run_id, job_id),
                self.keys.run(run_id),
                self.keys.leases(),
                self.keys.run_jobs_by_status(run_id, JobStatus.PENDING),
                self.keys.run_jobs_by_status(run_id, JobStatus.PROCESSING),
                self.keys.parked_jobs(),
                self.keys.run_events(run_id),
                self.keys.events(),
                self.keys.metrics(),
            ],
            args=[
                f"{run_id}:{job_id}",
                member,
                release_at,
                units,
                until.replace("+00:00", "Z"),
                *self.event_limits,
                utc_now(),
                *_pairs(metrics),
            ],
        )
        return bool(parked)

    def _transition_keys(self, run_id: str, job_id: str) -> list[str]:
        return [
            self.keys.job(run_id, job_id),
            self.keys.run(run_id),
            self.keys.leases(),
            *(self.keys.run_jobs_by_status(run_id, status) for status in STATUSES),
            self.keys.run_events(run_id),
            self.keys.events(),
            self.keys.outbox(),
            self.keys.metrics(),
        ]

    # -- reading ------------------------------------------------------------------------

    def get_run(self, run_id: str) -> Run | None:
        fields = cast(dict[str, str], self.redis.hgetall(self.keys.run(run_id)))
        if not fields:
            return None
        return Run(
            run_id=fields["run_id"],
            status=RunStatus(fields["status"]),
            total=int(fields["total"]),
            counts={status: int(fields.get(status, 0)) for status in STATUSES},
            created_at=fields["created_at"],
            completed_at=fields.get("completed_at"),
            units=int(fields.get("units", 0)),
            retry_of=fields.get("retry_of"),
            on_complete=fields.get("on_complete"),
            on_complete_queue=fields.get("on_complete_queue"),
        )

    def get_jobs(
        self,
        run_id: str,
        *,
        status: JobStatus | None = None,
        offset: int = 0,
        limit: int = 100,
    ) -> list[Job]:
        """A page of the run's jobs in input order, optionally only those in ``status``."""
        if offset < 0 or limit < 0:
            raise ValueError("offset and limit must not be negative")
        if limit == 0:
            return []
        if status is None:
            total = int(self.redis.hget(self.keys.run(run_id), "total") or 0)
            job_ids = [str(i) for i in range(offset, min(total, offset + limit))]
        else:
            job_ids = cast(
                list[str],
                self.redis.zrange(
                    self.keys.run_jobs_by_status(run_id, status), offset, offset + limit - 1
                ),
            )
        pipe = self.redis.pipeline(transaction=False)
        for job_id in job_ids:
            pipe.hgetall(self.keys.job(run_id, job_id))
        return [_job_from_fields(fields) for fields in pipe.execute() if fields]

    def get_job(self, run_id: str, job_id: str) -> Job | None:
        fields = cast(dict[str, str], self.redis.hgetall(self.keys.job(run_id, job_id)))
        return _job_from_fields(fields) if fields else None

    def pending_inputs(self, run_id: str, limit: int) -> list[str]:
        """The inputs of the run's first ``limit`` PENDING jobs, in input order."""
        job_ids = cast(
            list[str],
            self.redis.zrange(
                self.keys.run_jobs_by_status(run_id, JobStatus.PENDING), 0, limit - 1
            ),
        )
        pipe = self.redis.pipeline(transaction=False)
        for job_id in job_ids:
            pipe.hget(self.keys.job(run_id, job_id), "input")
        return [text for text in pipe.execute() if text is not None]

    def all_jobs(self, run_id: str, *, page_size: int = 500) -> list[Job]:
        """Every job of the run, in input order."""
        jobs: list[Job] = []
        while True:
            page = self.get_jobs(run_id, offset=len(jobs), limit=page_size)
            jobs.extend(page)
            if len(page) < page_size:
                return jobs


def _run_after(
    pipe: Pipeline | None, script: Script, keys: list[str], args: Sequence[Any]
) -> tuple[Any, list[Any]]:
    """Run ``script`` after the commands queued on ``pipe``, in one round trip.

    Returns the script's reply and theirs, in order.
    """
    if pipe is None or len(pipe) == 0:
        return script(keys=keys, args=args), []
    # EVAL with the script's text, not EVALSHA: a pipeline would first ask Redis whether it
    # knows the script, a round trip of its own.
    pipe.eval(cast(str, script.script), len(keys), *keys, *args)
    *replies, reply = pipe.execute()
    return reply, replies


def _pairs(metrics: Mapping[str, int] | None) -> list[str | int]:
    """Metric amounts as script arguments: field, amount, field, amount, ..."""
    return [item for pair in (metrics or {}).items() for item in pair]


def _request_digest(identifiers: Sequence[str], options: RunOptions) -> str:
    """What makes two submissions the same request, for idempotency keys."""
    request = [list(identifiers), options.on_complete, options.on_complete_queue]
    return hashlib.sha256(json.dumps(request).encode()).hexdigest()


def _job_from_fields(fields: dict[str, str]) -> Job:
    return Job(
        job_id=fields["job_id"],
        run_id=fields["run_id"],
        input=fields["input"],
        status=JobStatus(fields["status"]),
        channel_id=fields.get("channel_id"),
        data=json.loads(fields["data"]) if "data" in fields else None,
        error=json.loads(fields["error"]) if "error" in fields else None,
        attempts=int(fields.get("attempts", 0)),
        started_at=fields.get("started_at"),
        finished_at=fields.get("finished_at"),
        route=fields.get("route"),
        units=int(fields.get("units", 0)),
        parked_until=fields.get("parked_until"),
    )
