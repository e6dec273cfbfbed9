"""Sliding-window pacing per key (a chat, a token, a whole bot).

A sliding window of ``limit`` sends per ``window`` seconds never exceeds what the platform
measures the same way, which a token bucket with a burst could. A small margin (1 %, and
5 ms) is kept on top; it was 3 % while slots counted from the start of their call, when it
had to absorb the time between the start and the platform's count as well.

A slot is taken when the call is about to go, and counted again from the moment its answer
came back (:meth:`RateLimiter.landed`): the platform counted the call somewhere in between,
so a later call waits a full window from the latest moment it could have been counted. The
journal's commit before the call, a thread hand-off (VK's client) or a slow network then
can't squeeze more calls into the platform's window than the limit.

Lanes: a send of a lower lane (a broadcast) does not take a slot that a waiting send of a
better lane (an answer to a citizen) could use now, so a broadcast runs on what the
interactive lane leaves of a limit and never delays it by more than the slot it holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from shared.outbox.lanes import Lane


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


@dataclass(eq=False)
class _Waiter:
    keys: Sequence[RateKey]
    cost: int
    lane: Lane


class RateLimiter:
    def __init__(self, margin: float = 0.01, clock: Callable[[], float] = time.monotonic) -> None:
        self.margin = margin
        self.clock = clock
        self._sent: dict[str, deque[float]] = {}
        self._blocked_until: dict[str, float] = {}
        self._waiters: list[_Waiter] = []  # sends of the broadcast-outranking lanes waiting
        # Set when a slot is taken or lands, for outranked waiters to look again; made only
        # when one waits (most sends never do, and an event per send adds up).
        self._changed: asyncio.Event | None = None
        # When each task's latest slot was taken, until its call lands.
        self._taken: weakref.WeakKeyDictionary[asyncio.Task[Any], float] = (
            weakref.WeakKeyDictionary()
        )

    def _wait_for(self, key: RateKey, cost: int, now: float) -> float:
        wait = max(0.0, self._blocked_until.get(key.name, 0.0) - now)
        window = key.rate.window * (1 + self.margin) + 0.005
        log = self._sent.get(key.name)
        if log is None:
            return wait
        while log and log[0] <= now - window:
            log.popleft()
        if not log:
            del self._sent[key.name]  # one per chat ever written to would pile up
            return wait
        excess = len(log) + min(cost, key.rate.limit) - key.rate.limit
        if excess > 0:
            # The oldest `excess` sends must leave the window first.
            index = min(excess, len(log)) - 1
            wait = max(wait, log[index] + window - now)
        return wait

    def _outranked(self, keys: Sequence[RateKey], lane: Lane, now: float) -> bool:
        """A send of a better lane waits for one of these keys and nothing else holds it."""
        names = {key.name for key in keys}
        for waiter in self._waiters:
            if waiter.lane >= lane or not names & {key.name for key in waiter.keys}:
                continue
            others = [key for key in waiter.keys if key.name not in names]
            if max((self._wait_for(k, waiter.cost, now) for k in others), default=0.0) <= 0:
                return True
        return False

    async def acquire(
        self, keys: Sequence[RateKey], cost: int = 1, lane: Lane = Lane.INTERACTIVE
    ) -> float:
        """Wait until every key allows ``cost`` more sends, then record them. Returns the wait.

        A send waits, too, while a send of a better ``lane`` could take the same slot.
        """
        started = self.clock()
        me = _Waiter(keys, cost, lane)
        if lane < max(Lane):
            self._waiters.append(me)
        try:
            while True:
                # Nothing awaits from the look to the record: no other send comes between.
                now = self.clock()
                wait = max((self._wait_for(k, cost, now) for k in keys), default=0.0)
                outranked = lane > min(Lane) and self._outranked(keys, lane, now)
                if wait <= 0 and not outranked:
                    for key in keys:
                        self._sent.setdefault(key.name, deque()).extend([now] * cost)
                    task = asyncio.current_task()
                    if task is not None:
                        self._taken[task] = now
                    self._signal()
                    return now - started
                if outranked:
                    # The better send takes the slot first; look again once it has.
                    if self._changed is None:
                        self._changed = asyncio.Event()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._changed.wait(), max(wait, 0.05))
                else:
                    await asyncio.sleep(wait)
        finally:
            if me in self._waiters:
                self._waiters.remove(me)

    def landed(self, keys: Sequence[RateKey], cost: int = 1) -> None:
        """The call of this task's latest slot is over (answered, failed or cancelled):
        count its slot from now, the latest moment the platform may have counted it."""
        task = asyncio.current_task()
        taken = self._taken.pop(task, None) if task is not None else None
        if taken is None:
            return
        now = self.clock()
        for key in keys:
            log = self._sent.setdefault(key.name, deque())
            # The slot is among the latest entries: look from the newest end.
            moved, index = 0, len(log) - 1
            while moved < cost and index >= 0 and log[index] >= taken:
                if log[index] == taken:
                    del log[index]
                    moved += 1
                index -= 1
            # Also when the slot had already left the window. No entry is later than now,
            # so the log stays in order.
            log.extend([now] * cost)
        self._signal()

    def _signal(self) -> None:
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    def block(self, name: str, seconds: float) -> None:
        """The platform said "retry after": nothing goes to this key until then."""
        until = self.clock() + seconds
        self._blocked_until[name] = max(self._blocked_until.get(name, 0.0), until)
