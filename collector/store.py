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

import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, cast

import redis

from .errors import WorkerLost
from .keys import Keys
from .models import Job, JobStatus, Run, RunStatus

STATUSES = [str(status) for status in JobStatus]

# finish(job, run, leases, z_pending, z_processing, z_done, z_failed, member, to, now, ttl,
#        job_key_prefix, fields...) -> 0 ignored, 1 finished, 2 finished and completed the run.
_FINISH_LUA = """
local function finish(k, member, to, now, ttl, job_prefix, fields)
  local job, run, leases = k[1], k[2], k[3]
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
  local units = redis.call('HGET', job, 'units')
  if units then redis.call('HINCRBY', run, 'units', units) end
  local r = redis.call('HMGET', run, 'DONE', 'FAILED', 'total', 'status')
  if tonumber(r[1]) + tonumber(r[2]) < tonumber(r[3]) or r[4] ~= 'RUNNING' then return 1 end
  redis.call('HSET', run, 'status', 'COMPLETED', 'completed_at', now)
  for i = 2, 7 do if i ~= 3 then redis.call('EXPIRE', k[i], ttl) end end
  for i = 0, tonumber(r[3]) - 1 do redis.call('EXPIRE', job_prefix .. i, ttl) end
  return 2
end
"""

# ARGV: member, now, ttl, job_prefix, lease_deadline, max_attempts, worker_lost_error
_START_LUA = (
    _FINISH_LUA
    + """
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return {'missing', 0} end
if status == 'DONE' or status == 'FAILED' then
  return {'terminal', tonumber(redis.call('HGET', KEYS[1], 'attempts'))}
end
local attempts = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
if attempts > tonumber(ARGV[6]) then
  finish(KEYS, ARGV[1], 'FAILED', ARGV[2], ARGV[3], ARGV[4], {'error', ARGV[7]})
  return {'exhausted', attempts}
end
redis.call('HSET', KEYS[1], 'status', 'PROCESSING', 'started_at', ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[5], ARGV[1])
if status == 'PENDING' then
  local job_id = redis.call('HGET', KEYS[1], 'job_id')
  redis.call('ZREM', KEYS[4], job_id)
  redis.call('ZADD', KEYS[5], redis.call('HGET', KEYS[1], 'index'), job_id)
  redis.call('HINCRBY', KEYS[2], 'PENDING', -1)
  redis.call('HINCRBY', KEYS[2], 'PROCESSING', 1)
  return {'started', attempts}
end
return {'taken_over', attempts}
"""
)

# ARGV: member, to, now, ttl, job_prefix, field, value, ...
_FINISH_SCRIPT_LUA = (
    _FINISH_LUA
    + """
local fields = {}
for i = 6, #ARGV do fields[#fields + 1] = ARGV[i] end
return finish(KEYS, ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], fields)
"""
)

# KEYS: job, run, leases, z_pending, z_processing, parked.
# ARGV: lease member, parked member, release time, units spent, parked_until (ISO 8601).
# PROCESSING -> PENDING, out of the leases and into the parked set. The attempt is given back:
# it was cut short by quota, not by a dying worker. Its units count in the run's total.
_PARK_LUA = """
if redis.call('HGET', KEYS[1], 'status') ~= 'PROCESSING' then return 0 end
local job_id = redis.call('HGET', KEYS[1], 'job_id')
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


class FinishOutcome(StrEnum):
    IGNORED = "ignored"  # the job was already terminal
    FINISHED = "finished"
    COMPLETED_RUN = "completed_run"  # this finish made the run COMPLETED


@dataclass(frozen=True)
class NewJob:
    job_id: str
    identifier: str


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
    ) -> None:
        self.redis = client
        self.keys = keys
        self.run_ttl_seconds = run_ttl_seconds
        self.lease_seconds = lease_seconds
        self.max_attempts = max_attempts
        self._start = client.register_script(_START_LUA)
        self._finish = client.register_script(_FINISH_SCRIPT_LUA)
        self._claim_expired = client.register_script(_CLAIM_EXPIRED_LUA)
        self._park = client.register_script(_PARK_LUA)

    # -- writing ------------------------------------------------------------------------

    def write_run(
        self,
        run_id: str,
        identifiers: Sequence[str],
        *,
        retry_of: str | None = None,
        pipe: redis.client.Pipeline | None = None,
    ) -> list[NewJob]:
        """Write a new run and its PENDING jobs in one transaction; return the jobs.

        ``retry_of`` links a run made of an older run's retryable failures to that run. Given a
        transaction ``pipe``, the writes are only queued on it, for the caller to add its own
        and execute them together.
        """
        if not identifiers:
            raise ValueError("a run needs at least one identifier")
        now = utc_now()
        jobs = [
            NewJob(job_id=str(index), identifier=text) for index, text in enumerate(identifiers)
        ]
        own_pipe = pipe is None
        pipe = self.redis.pipeline(transaction=True) if pipe is None else pipe
        pipe.hset(
            self.keys.run(run_id),
            mapping={
                "run_id": run_id,
                "status": str(RunStatus.RUNNING),
                "created_at": now,
                "total": len(jobs),
                "units": 0,
                JobStatus.PENDING: len(jobs),
                JobStatus.PROCESSING: 0,
                JobStatus.DONE: 0,
                JobStatus.FAILED: 0,
                **({"retry_of": retry_of} if retry_of else {}),
            },
        )
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
        pipe.sadd(self.keys.running_runs(), run_id)
        if own_pipe:
            pipe.execute()
        return jobs

    def worker_lost_error(self) -> WorkerLost:
        return WorkerLost(
            f"the job's worker died on each of {self.max_attempts} attempts; not retried again"
        )

    def start_job(self, run_id: str, job_id: str) -> JobStart:
        """Move a job to PROCESSING (or take it over from a dead worker)."""
        error = self.worker_lost_error()
        outcome, attempts = self._start(
            keys=self._transition_keys(run_id, job_id),
            args=[
                f"{run_id}:{job_id}",
                utc_now(),
                self.run_ttl_seconds,
                self.keys.job_pattern(run_id),
                time.time() + self.lease_seconds,
                self.max_attempts,
                json.dumps(error.as_record()),
            ],
        )
        return JobStart(StartOutcome(outcome), int(attempts))

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
    ) -> FinishOutcome:
        """Record a terminal status; a job already terminal is left as it is."""
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
        result = self._finish(
            keys=self._transition_keys(run_id, job_id),
            args=[
                f"{run_id}:{job_id}",
                str(status),
                utc_now(),
                self.run_ttl_seconds,
                self.keys.job_pattern(run_id),
                *fields,
            ],
        )
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
        self, run_id: str, job_id: str, identifier: str, *, release_at: float, units: int
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
            ],
            args=[f"{run_id}:{job_id}", member, release_at, units, until.replace("+00:00", "Z")],
        )
        return bool(parked)

    def _transition_keys(self, run_id: str, job_id: str) -> list[str]:
        return [
            self.keys.job(run_id, job_id),
            self.keys.run(run_id),
            self.keys.leases(),
            *(self.keys.run_jobs_by_status(run_id, status) for status in STATUSES),
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
