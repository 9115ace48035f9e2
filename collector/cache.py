"""What earlier jobs learned, shared by every worker: resolutions, channel data, claims.

- Resolution cache: normalised identifier -> channel id (``RESOLUTION_CACHE_TTL``), or
  ``NOT_FOUND`` (``NOT_FOUND_CACHE_TTL``), so a second run spends nothing on resolution.
- Channel data, reused while younger than ``CHANNEL_DATA_MAX_AGE`` (its TTL).
- Claims: one job at a time fetches a given channel (single flight); the others wait for its
  data. A claim is an optimisation, not a lock: it lasts CLAIM_SECONDS, so a dead holder
  delays the others that long at most; a slow one may see the channel fetched twice. Claims
  are held in a job's name, so the job's own redelivery takes them back at once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import cast

import redis
from redis.client import Pipeline

from .identifiers import Identifier, IdentifierKind
from .keys import Keys
from .models import ChannelData
from .snapshots import Snapshots

log = logging.getLogger(__name__)

NOT_FOUND = "!"  # not a channel id, so it can never be mistaken for one
CLAIM_SECONDS = 30  # longer than a batch fetch takes; a dead holder's claims last this long

# KEYS: (claim, data, not-found) per candidate; ARGV: holder, ttl, limit.
# Claims, in order, up to ``limit`` candidates that nobody has fetched or is fetching
# (a claim the same holder already has is taken again).
_CLAIM_LUA = """
local won = {}
for i = 1, #KEYS, 3 do
  if #won >= tonumber(ARGV[3]) then break end
  if redis.call('EXISTS', KEYS[i + 1], KEYS[i + 2]) == 0 then
    local holder = redis.call('GET', KEYS[i])
    if not holder or holder == ARGV[1] then
      redis.call('SET', KEYS[i], ARGV[1], 'EX', ARGV[2])
      won[#won + 1] = (i + 2) / 3
    end
  end
end
return won
"""

# KEYS: claims; ARGV: holder. Deletes only the claims this holder still has.
_RELEASE_LUA = """
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then redis.call('DEL', key) end
end
return 0
"""


@dataclass(frozen=True)
class CachedChannel:
    """What the cache knows of a channel id: its data, that it does not exist, or neither."""

    data: ChannelData | None = None
    not_found: bool = False
    claimed_by: str | None = None  # the job fetching it now


class Cache:
    def __init__(
        self,
        client: redis.Redis,
        keys: Keys,
        snapshots: Snapshots,
        *,
        resolution_ttl: int,
        not_found_ttl: int,
        data_max_age: int,
        recent_videos: int,
    ) -> None:
        self.redis = client
        self.keys = keys
        self.snapshots = snapshots
        self.resolution_ttl = resolution_ttl
        self.not_found_ttl = not_found_ttl
        self.data_max_age = data_max_age
        self.recent_videos = recent_videos
        self._claim = client.register_script(_CLAIM_LUA)
        self._release = client.register_script(_RELEASE_LUA)

    # -- resolutions -------------------------------------------------------------------

    def resolution_key(self, identifier: Identifier) -> str:
        return self.keys.resolution(identifier.cache_key)

    def resolved(
        self, identifier: Identifier, prefetched: Mapping[str, str | None] | None = None
    ) -> str | None:
        """The cached ``channel id[ low]`` (or NOT_FOUND) for ``identifier``; None if none.

        ``prefetched`` holds values already read (with the job's start), by key.
        """
        key = self.resolution_key(identifier)
        if prefetched is not None and key in prefetched:
            return prefetched[key]
        return cast(str | None, self.redis.get(key))

    def remember(
        self,
        identifier: Identifier,
        channel: ChannelData,
        *,
        low_confidence: bool = False,
        pipe: Pipeline | None = None,
    ) -> None:
        """Keep what ``identifier`` resolved to, unless ``store`` has already kept it.

        With ``pipe``, this and the other writes below are queued on it rather than sent.
        """
        if identifier.kind is IdentifierKind.CHANNEL_ID or self.resolution_ttl <= 0:
            return
        alias = _alias(channel.handle)
        # A handle looked up names the channel's own handle, which ``store`` kept with its
        # data. Data served from the cache instead was stored with that alias too, and the
        # alias outlives the data unless RESOLUTION_CACHE_TTL is the shorter.
        if (
            not low_confidence
            and alias is not None
            and alias.cache_key == identifier.cache_key
            and self.resolution_ttl >= self.data_max_age
        ):
            return
        key = self.resolution_key(identifier)
        value = f"{channel.channel_id} low" if low_confidence else channel.channel_id
        self._writer(pipe).set(key, value, ex=self.resolution_ttl)

    def remember_not_found(self, identifier: Identifier, pipe: Pipeline | None = None) -> None:
        if self.not_found_ttl > 0:
            key = self.resolution_key(identifier)
            self._writer(pipe).set(key, NOT_FOUND, ex=self.not_found_ttl)

    # -- channel data ------------------------------------------------------------------

    def channel(self, channel_id: str) -> CachedChannel:
        pipe = self.redis.pipeline(transaction=False)
        pipe.get(self.keys.channel_data(channel_id, self.recent_videos))
        pipe.exists(self._not_found_key(channel_id))
        pipe.get(self.keys.channel_claim(channel_id))
        data, not_found, claimed_by = pipe.execute()
        if data is not None:
            try:
                return CachedChannel(data=ChannelData.from_dict(json.loads(data)))
            except (ValueError, TypeError):  # written by another version: fetch afresh
                log.warning("unreadable cached data for channel %s; dropped", channel_id)
                self.redis.delete(self.keys.channel_data(channel_id, self.recent_videos))
        return CachedChannel(not_found=bool(not_found), claimed_by=claimed_by)

    def store(
        self,
        channels: Iterable[ChannelData],
        not_found: Iterable[str] = (),
        pipe: Pipeline | None = None,
    ) -> None:
        """Keep fetched channels (data, snapshot, handle -> id) and ids the API does not know."""
        queue = pipe if pipe is not None else self.redis.pipeline(transaction=False)
        for channel in channels:
            if self.data_max_age > 0:
                record = json.dumps(channel.to_dict(), ensure_ascii=False)
                key = self.keys.channel_data(channel.channel_id, self.recent_videos)
                queue.set(key, record, ex=self.data_max_age)
            self.snapshots.add(queue, channel)
            # The channel's own answer names its handle (or legacy custom URL): a later
            # input of that name resolves without a call.
            alias = _alias(channel.handle)
            if alias is not None and self.resolution_ttl > 0:
                key = self.resolution_key(alias)
                queue.set(key, channel.channel_id, ex=self.resolution_ttl)
        if self.not_found_ttl > 0:
            for channel_id in not_found:
                queue.set(self._not_found_key(channel_id), NOT_FOUND, ex=self.not_found_ttl)
        if pipe is None:
            queue.execute()

    def _writer(self, pipe: Pipeline | None) -> redis.Redis | Pipeline:
        # Not ``pipe or self.redis``: an empty pipeline is falsy.
        return self.redis if pipe is None else pipe

    def _not_found_key(self, channel_id: str) -> str:
        return self.resolution_key(Identifier(IdentifierKind.CHANNEL_ID, channel_id))

    # -- claims ------------------------------------------------------------------------

    def claim(self, channel_ids: Sequence[str], limit: int, holder: str) -> list[str]:
        """Claim, in order, up to ``limit`` of these channels that no one has or is fetching."""
        if not channel_ids or limit <= 0:
            return []
        keys: list[str] = []
        for channel_id in channel_ids:
            keys += [
                self.keys.channel_claim(channel_id),
                self.keys.channel_data(channel_id, self.recent_videos),
                self._not_found_key(channel_id),
            ]
        won = self._claim(keys=keys, args=[holder, CLAIM_SECONDS, limit])
        return [channel_ids[int(n) - 1] for n in won]

    def release(self, channel_ids: Iterable[str], holder: str) -> None:
        keys = [self.keys.channel_claim(channel_id) for channel_id in channel_ids]
        if keys:
            self._release(keys=keys, args=[holder])


def _alias(custom_url: str | None) -> Identifier | None:
    """The identifier a channel's ``snippet.customUrl`` stands for: its handle, or legacy name."""
    if not custom_url:
        return None
    if custom_url.startswith("@"):
        return Identifier(IdentifierKind.HANDLE, custom_url[1:])
    return Identifier(IdentifierKind.CUSTOM_URL, custom_url)
