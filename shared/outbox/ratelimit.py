"""Sliding-window pacing per key (a chat, a token, a whole bot).

A sliding window of ``limit`` sends per ``window`` seconds never exceeds what the platform
measures the same way, which a token bucket with a burst could. A small margin absorbs
the difference between when we send and when the platform counts.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Rate:
    limit: int
    window: float

    @classmethod
    def per_second(cls, rate: float, burst: int = 1) -> Rate:
        burst = max(1, burst)
        return cls(burst, burst / rate)

    @classmethod
    def per_minute(cls, count: float) -> Rate:
        return cls(max(1, int(count)), 60.0)


@dataclass(frozen=True)
class RateKey:
    name: str
    rate: Rate


class RateLimiter:
    def __init__(self, margin: float = 0.03, clock: Callable[[], float] = time.monotonic) -> None:
        self.margin = margin
        self.clock = clock
        self._sent: dict[str, deque[float]] = {}
        self._blocked_until: dict[str, float] = {}
        self._lock = asyncio.Lock()

    def _wait_for(self, key: RateKey, cost: int, now: float) -> float:
        wait = max(0.0, self._blocked_until.get(key.name, 0.0) - now)
        window = key.rate.window * (1 + self.margin) + 0.005
        log = self._sent.setdefault(key.name, deque())
        while log and log[0] <= now - window:
            log.popleft()
        excess = len(log) + min(cost, key.rate.limit) - key.rate.limit
        if excess > 0:
            # The oldest `excess` sends must leave the window first.
            index = min(excess, len(log)) - 1
            wait = max(wait, log[index] + window - now)
        return wait

    async def acquire(self, keys: Sequence[RateKey], cost: int = 1) -> float:
        """Wait until every key allows ``cost`` more sends, then record them. Returns the wait."""
        waited = 0.0
        while True:
            async with self._lock:
                now = self.clock()
                wait = max((self._wait_for(k, cost, now) for k in keys), default=0.0)
                if wait <= 0:
                    for key in keys:
                        self._sent.setdefault(key.name, deque()).extend([now] * cost)
                    return waited
            await asyncio.sleep(wait)
            waited += wait

    def block(self, name: str, seconds: float) -> None:
        """The platform said "retry after": nothing goes to this key until then."""
        until = self.clock() + seconds
        self._blocked_until[name] = max(self._blocked_until.get(name, 0.0), until)
