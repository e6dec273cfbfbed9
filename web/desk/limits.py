"""A sliding-window counter of attempts per key (a client address), kept in memory.

It guards the login-link page: guessing a 256-bit token is hopeless anyway, but a flood of
attempts is refused early and cheaply with 429.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class Attempts:
    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._seen: dict[str, deque[float]] = {}

    def allow(self, key: str) -> bool:
        """Count an attempt; False when ``key`` already made ``limit`` in the window."""
        now = self.clock()
        log = self._seen.setdefault(key, deque())
        while log and log[0] <= now - self.window:
            log.popleft()
        if len(log) >= self.limit:
            return False
        log.append(now)
        if len(self._seen) > 10_000:
            self._forget(now)
        return True

    def _forget(self, now: float) -> None:
        stale = [k for k, log in self._seen.items() if not log or log[-1] <= now - self.window]
        for key in stale:
            del self._seen[key]
