"""A request-rate limit shared by every worker: one token bucket in Redis."""

from __future__ import annotations

import time
from typing import cast

import redis

# KEYS: the bucket hash. ARGV: rate (tokens/s), burst (bucket size).
# Takes a token even when none is left (the bucket goes into debt) and returns how many
# milliseconds the caller must wait for it: callers queue fairly, in one round trip each.
# Redis's own clock is used, so workers on machines whose clocks differ share one timeline.
_TAKE_LUA = """
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate) - 1
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil((burst - tokens) / rate) + 1)
if tokens >= 0 then return 0 end
return math.ceil(-tokens / rate * 1000)
"""


class RateLimiter:
    """At most ``rate`` requests a second across all workers, with bursts up to one second's."""

    def __init__(self, client: redis.Redis, bucket: str, rate: float) -> None:
        if rate <= 0:
            raise ValueError("the rate must be positive")
        self.rate = rate
        self.burst = max(1.0, rate)
        self._bucket = bucket
        self._take = client.register_script(_TAKE_LUA)

    def wait(self) -> float:
        """Block until this process may send one request; returns the seconds waited."""
        waited_ms = int(cast(int, self._take(keys=[self._bucket], args=[self.rate, self.burst])))
        if waited_ms > 0:
            time.sleep(waited_ms / 1000)
        return waited_ms / 1000
