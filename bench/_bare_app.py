"""The baseline: bare Celery tasks that only wait, on an app configured exactly as ours.

Started as ``celery -A bench._bare_app worker``; each task sleeps ``BENCH_LATENCY`` seconds,
the fake API's reply latency, and takes the same keyword arguments as a collector job.
"""

from __future__ import annotations

import os
import time

from collector.celery_app import make_celery
from collector.config import get_settings

BARE_TASK = "bench_sleep"
LATENCY = float(os.environ.get("BENCH_LATENCY", "0.1"))

app = make_celery(get_settings())


@app.task(name=BARE_TASK)
def bench_sleep(*, run_id: str, job_id: str, identifier: str) -> None:
    time.sleep(LATENCY)
