"""The baselines: tasks on an app configured exactly as ours, taking a collector job's arguments.

Started as ``celery -A bench._bare_app worker``, which runs whichever of them is queued:

- ``bench_sleep``, bare Celery: it sleeps ``BENCH_LATENCY`` seconds, the fake API's latency.
- ``bench_floor``, the least a job of ours could do: record its start with one Redis script,
  make its one ``channels.list`` call, record its finish and the body with one script, through
  the worker's own Redis pool and HTTP client. No key lease, resolution, cache, metrics or log
  line. What it costs above bare is I/O that no implementation can skip; what the pipeline
  costs above it is our own logic.
"""

from __future__ import annotations

import functools
import os
import time

import redis
from redis.commands.core import Script

from collector.celery_app import make_celery
from collector.config import get_settings
from collector.runtime import Runtime, get_runtime
from collector.youtube import CHANNEL_PARTS, METHOD_PATHS

BARE_TASK = "bench_sleep"
FLOOR_TASK = "bench_floor"
LATENCY = float(os.environ.get("BENCH_LATENCY", "0.1"))

app = make_celery(get_settings())


@app.task(name=BARE_TASK)
def bench_sleep(*, run_id: str, job_id: str, identifier: str) -> None:
    time.sleep(LATENCY)


@app.task(name=FLOOR_TASK)
def bench_floor(*, run_id: str, job_id: str, identifier: str) -> None:
    floor_job(get_runtime(), run_id, job_id, identifier)


def floor_job(runtime: Runtime, run_id: str, job_id: str, identifier: str) -> None:
    start, finish = _scripts(runtime.redis)
    job = f"bench:{run_id}:{job_id}"
    start(keys=[job])
    youtube = runtime.resolver.youtube
    reply = youtube.http.get(
        youtube.base_url + METHOD_PATHS["channels.list"],
        params={"part": CHANNEL_PARTS, "forHandle": identifier},
        headers={"X-Goog-Api-Key": runtime.settings.youtube_api_keys[0]},
    )
    finish(keys=[job], args=[reply.content])


_START_LUA = "return redis.call('HSET', KEYS[1], 'status', 'PROCESSING')"
_FINISH_LUA = "return redis.call('HSET', KEYS[1], 'status', 'DONE', 'data', ARGV[1])"


@functools.cache
def _scripts(client: redis.Redis) -> tuple[Script, Script]:
    return client.register_script(_START_LUA), client.register_script(_FINISH_LUA)
