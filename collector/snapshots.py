"""Per-channel snapshots of collected counts, so the backend can read a channel's history.

A sorted set per channel, scored by ``fetched_at``, bounded by count and by age. The age bound
(default 30 days) follows the YouTube API Services Developer Policies: API data may not be
stored for longer than 30 days without being refreshed, so older snapshots are dropped.
Identical snapshots (several jobs sharing one fetch) are one member, stored once.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any, cast

import redis

from .keys import Keys
from .models import ChannelData

SNAPSHOT_FIELDS = (
    "fetched_at",
    "title",
    "handle",
    "subscriber_count",
    "hidden_subscriber_count",
    "view_count",
    "video_count",
)


class Snapshots:
    def __init__(self, client: redis.Redis, keys: Keys, *, max_count: int, max_age: int) -> None:
        self._redis = client
        self._keys = keys
        self.max_count = max_count
        self.max_age = max_age

    def add(self, pipe: redis.client.Pipeline, channel: ChannelData) -> None:
        """Queue, on ``pipe``, the snapshot of ``channel`` and the trimming of its history."""
        snapshot = {name: getattr(channel, name) for name in SNAPSHOT_FIELDS}
        key = self._keys.channel_snapshots(channel.channel_id)
        member = json.dumps(snapshot, ensure_ascii=False, sort_keys=True)
        pipe.zadd(key, {member: _epoch(channel.fetched_at)})
        pipe.zremrangebyscore(key, "-inf", f"({time.time() - self.max_age}")
        pipe.zremrangebyrank(key, 0, -self.max_count - 1)
        pipe.expire(key, max(self.max_age, 1))

    def history(self, channel_id: str) -> list[dict[str, Any]]:
        """The channel's snapshots younger than the age bound, oldest first."""
        members = cast(
            list[str],
            self._redis.zrangebyscore(
                self._keys.channel_snapshots(channel_id), time.time() - self.max_age, "+inf"
            ),
        )
        return [{"channel_id": channel_id, **json.loads(member)} for member in members]


def _epoch(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
