"""The process's Redis client rides out a connection the server dropped."""

from __future__ import annotations

import redis

from collector.config import Settings
from collector.runtime import redis_client as make_redis_client


def test_a_connection_the_server_closed_is_replaced_and_the_command_succeeds(
    settings: Settings, redis_client: redis.Redis
) -> None:
    client = make_redis_client(settings, max_connections=1)
    client.set("greeting", "hello")
    own_id = client.client_id()  # the pool's only connection
    assert redis_client.client_kill_filter(_id=own_id) == 1

    assert client.get("greeting") == "hello"
    assert client.client_id() != own_id  # a new connection
    client.close()
