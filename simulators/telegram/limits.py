"""Flood limits modelled on Telegram's published ones.

Defaults (``LimitConfig``):

* whole bot: token bucket of 30 messages, refilled at 30/s (~30 messages per second);
* one private chat: token bucket of 3 messages, refilled at 1/s — short bursts of 3
  pass, and a sender pacing itself at 1 message/s never gets a 429;
* one group, supergroup or channel: at most 20 messages in any sliding 60 s window.

Counted: every sent message (an album counts once per item for the bot and for a
group, once for a private chat), copies, forwards; edits count at the chat level only.
A refused send consumes nothing. ``retry_after`` is the real wait, rounded up, >= 1.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from simulators.ratewindow import expire


@dataclass(frozen=True)
class LimitConfig:
    """Rates of the limiter; see the module docstring."""

    global_rate: float = 30.0
    global_burst: float = 30.0
    private_rate: float = 1.0
    private_burst: float = 3.0
    group_limit: int = 20
    group_window: float = 60.0


@dataclass
class TokenBucket:
    rate: float
    capacity: float
    tokens: float
    updated: float

    def _refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def wait(self, now: float, cost: float) -> float:
        self._refill(now)
        missing = min(cost, self.capacity) - self.tokens
        return max(0.0, missing / self.rate)

    def take(self, now: float, cost: float) -> None:
        self._refill(now)
        self.tokens -= cost


@dataclass
class SlidingWindow:
    limit: int
    window: float
    times: deque[float] = field(default_factory=deque)

    def wait(self, now: float, cost: int) -> float:
        expire(self.times, now, self.window)
        overflow = len(self.times) + min(cost, self.limit) - self.limit
        if overflow <= 0:
            return 0.0
        return self.times[overflow - 1] + self.window - now

    def take(self, now: float, cost: int) -> None:
        self.times.extend([now] * cost)


class RateLimiter:
    """Not thread-safe by itself: the fake calls it under its state lock."""

    def __init__(self, config: LimitConfig, clock: Callable[[], float]) -> None:
        self.config = config
        self.clock = clock
        self._global = TokenBucket(
            config.global_rate, config.global_burst, config.global_burst, clock()
        )
        self._private: dict[int, TokenBucket] = {}
        self._groups: dict[int, SlidingWindow] = {}

    def _private_bucket(self, chat_id: int, now: float) -> TokenBucket:
        if chat_id not in self._private:
            cfg = self.config
            self._private[chat_id] = TokenBucket(
                cfg.private_rate, cfg.private_burst, cfg.private_burst, now
            )
        return self._private[chat_id]

    def _group_window(self, chat_id: int) -> SlidingWindow:
        if chat_id not in self._groups:
            self._groups[chat_id] = SlidingWindow(self.config.group_limit, self.config.group_window)
        return self._groups[chat_id]

    def acquire(self, chat_id: int, private: bool, items: int = 1, edit: bool = False) -> int:
        """Consume quota for ``items`` messages; return 0, or the seconds to wait (>= 1)."""
        now = self.clock()
        waits = []
        global_cost = 0 if edit else items
        if global_cost:
            waits.append(self._global.wait(now, global_cost))
        if private:
            bucket = self._private_bucket(chat_id, now)
            waits.append(bucket.wait(now, 1))
        else:
            window = self._group_window(chat_id)
            waits.append(window.wait(now, items))
        wait = max(waits)
        if wait > 0:
            return max(1, math.ceil(wait - 1e-9))
        if global_cost:
            self._global.take(now, global_cost)
        if private:
            bucket.take(now, 1)
        else:
            window.take(now, items)
        return 0
