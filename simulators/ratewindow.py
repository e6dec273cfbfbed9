"""The sliding one-second window the fakes count requests in.

VK and MAX both allow so many requests "per second" per token (Telegram counts a group's
messages per minute the same way): the times of the requests let through within the last
``span`` seconds are kept, and a request beyond the limit is refused without being kept,
so a client that backs off is not punished for the refusals.
"""

from __future__ import annotations

from collections import deque

SECOND = 1.0


def expire(times: deque[float], moment: float, span: float = SECOND) -> None:
    """Forget the times that ``span`` seconds before ``moment`` leave behind."""
    while times and moment - times[0] >= span:
        times.popleft()


def admit(times: deque[float], moment: float, limit: int, span: float = SECOND) -> bool:
    """Whether one more request at ``moment`` fits; one that fits is counted."""
    expire(times, moment, span)
    if len(times) >= limit:
        return False
    times.append(moment)
    return True
