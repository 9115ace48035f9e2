"""Accepting a run: direct task messages are kombu's own, in job order, with the run's state."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from typing import Any

import pytest
import redis

from collector.celery_app import TASK_NAME, make_celery
from collector.client import CollectorClient
from collector.config import Settings
from collector.enqueue import TaskMessages, accept_run, shown_kwargs, writes_messages_directly
from collector.keys import Keys
from collector.models import JobStatus
from collector.store import NewJob

QUEUE = "collector"
IDENTIFIERS = [
    "@GoogleDevelopers",
    "https://www.youtube.com/channel/UC_x5XG1OV2P6uZZ5FSM9Ttw",
    'it\'s "quoted"',
    "back\\slash\nnew line\tand\x00nul",
    "é" * 600,  # past kwargsrepr's 1024 characters
]


def queued(client: redis.Redis) -> list[dict[str, Any]]:
    """Every queued message, in the order a worker takes them (BRPOP: from the right)."""
    raw = client.lrange(QUEUE, 0, -1)
    return [json.loads(text) for text in reversed(raw)]


def without_ids(message: dict[str, Any]) -> dict[str, Any]:
    """The message less what differs between two sends of the same task: its ids."""
    headers = {k: v for k, v in message["headers"].items() if k not in ("id", "root_id")}
    properties = {
        k: v
        for k, v in message["properties"].items()
        if k not in ("correlation_id", "delivery_tag")
    }
    return {**message, "headers": headers, "properties": properties}


def kwargs_of(message: dict[str, Any]) -> dict[str, str]:
    args, kwargs, _ = json.loads(base64.b64decode(message["body"]))
    assert args == []
    return kwargs  # type: ignore[no-any-return]


@pytest.mark.parametrize("identifier", IDENTIFIERS, ids=range(len(IDENTIFIERS)))
def test_a_direct_message_is_the_one_kombu_publishes(
    settings: Settings, redis_client: redis.Redis, identifier: str
) -> None:
    app = make_celery(settings)
    kwargs = {"run_id": "r1", "job_id": "7", "identifier": identifier}
    task_id = "3f1c0a52-61a4-4c4e-9a34-2f4b1b7f3e10"

    shown = shown_kwargs("r1", NewJob("7", identifier))
    app.send_task(TASK_NAME, kwargs=kwargs, kwargsrepr=shown, queue=QUEUE, task_id=task_id)
    (published,) = queued(redis_client)
    direct = json.loads(TaskMessages(app, QUEUE).message(task_id, kwargs, shown))

    assert direct["properties"].pop("delivery_tag") != published["properties"].pop("delivery_tag")
    assert direct == published
    assert direct["headers"]["id"] == direct["properties"]["correlation_id"] == task_id


def test_a_run_and_its_messages_are_written_together_in_job_order(
    settings: Settings, redis_client: redis.Redis
) -> None:
    identifiers = [f"@handle{i}" for i in range(2500)]  # more than one LPUSH of messages

    run_id = CollectorClient(settings).create_run(identifiers)

    messages = queued(redis_client)
    assert [kwargs_of(m) for m in messages] == [
        {"run_id": run_id, "job_id": str(i), "identifier": text}
        for i, text in enumerate(identifiers)
    ]
    assert {m["headers"]["task"] for m in messages} == {TASK_NAME}
    assert len({m["headers"]["id"] for m in messages}) == len(identifiers)
    keys = Keys(settings.key_prefix)
    assert redis_client.hget(keys.run(run_id), JobStatus.PENDING) == "2500"
    assert redis_client.hget(keys.job(run_id, "2499"), "input") == "@handle2499"


def test_another_broker_gets_the_same_messages_through_kombu(
    settings: Settings, redis_client: redis.Redis
) -> None:
    # The same database under another name: a different broker URL, so kombu publishes.
    other = replace(settings, broker_url=settings.redis_url.replace("127.0.0.1", "localhost"))
    assert other.broker_url != other.redis_url
    client = CollectorClient(other)
    app = client.celery
    assert not writes_messages_directly(app, other)
    assert writes_messages_directly(app, settings)

    accept_run(client.store, app, other, "r1", IDENTIFIERS)
    through_kombu = queued(redis_client)
    redis_client.delete(QUEUE)
    accept_run(client.store, app, settings, "r1", IDENTIFIERS)
    direct = queued(redis_client)

    assert [without_ids(m) for m in through_kombu] == [without_ids(m) for m in direct]
    assert [kwargs_of(m)["identifier"] for m in direct] == IDENTIFIERS
