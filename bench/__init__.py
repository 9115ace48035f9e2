"""Benchmarks, run by ``make bench``: each prints its figures as ratios against a baseline.

They empty their Redis database with FLUSHDB, so they never use a configured ``REDIS_URL``:
they use ``BENCH_REDIS_URL`` (default database 12 on localhost), and point ``REDIS_URL`` at it
for this process before anything reads settings (the module-level Celery app does on import).
"""

import os

BENCH_REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
os.environ["REDIS_URL"] = BENCH_REDIS_URL
os.environ.pop("CELERY_BROKER_URL", None)
