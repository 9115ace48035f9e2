"""Reading the Celery messages waiting in a queue of the Redis broker, as a receiver would."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

import redis


@dataclass(frozen=True)
class QueuedTask:
    name: str
    task_id: str
    args: list[Any]
    kwargs: dict[str, Any]


def queued_tasks(client: redis.Redis, queue: str) -> list[QueuedTask]:
    """The messages in ``queue``, oldest first (kombu LPUSHes; a consumer pops the right end)."""
    tasks = []
    for raw in reversed(client.lrange(queue, 0, -1)):
        message = json.loads(raw)
        assert message["content-type"] == "application/json"
        args, kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        headers = message["headers"]
        tasks.append(QueuedTask(headers["task"], headers["id"], args, kwargs))
    return tasks
