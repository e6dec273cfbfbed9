"""Priority lanes: which sends go first when more are due than the platforms take.

A lane is a band of the outbox's ``priority`` column: every interactive priority sorts
above every urgent one, and every urgent one above every broadcast one, so the existing
``(state, priority, id)`` index orders the lanes and a row's priority still orders it
within its lane. Broadcast lanes also yield to the interactive lane in the rate limiter
and never take its reserved workers (see :mod:`shared.outbox.dispatcher`).
"""

from __future__ import annotations

from enum import IntEnum

BAND = 1_000_000  # width of a lane's band of priorities
SPAN = BAND // 2  # a priority inside a lane stays within ±SPAN


class Lane(IntEnum):
    """Ordered best first; the value is the lane's rank (lower goes first)."""

    INTERACTIVE = 0  # a person waits for it: answers, confirmations, cards, callbacks, previews
    URGENT = 1  # an urgent broadcast (an emergency notice): before other broadcasts
    BROADCAST = 2  # a mass send (a notice to subscribers): what the lanes above leave

    @property
    def broadcast(self) -> bool:
        """A mass send: bounded workers, and the interactive lane's rate comes first."""
        return self is not Lane.INTERACTIVE

    def stored(self, priority: int) -> int:
        """The ``priority`` column's value for a row of this lane with ``priority``."""
        if not -SPAN < priority < SPAN:
            raise ValueError(f"a priority within a lane stays within ±{SPAN}: {priority}")
        return priority - self.value * BAND

    @classmethod
    def of(cls, stored: int) -> tuple[Lane, int]:
        """The lane and the in-lane priority of a stored ``priority`` value."""
        rank = (SPAN - stored) // BAND
        lane = cls(min(max(rank, 0), len(cls) - 1))
        return lane, stored + lane.value * BAND

    def floor(self) -> int:
        """The lowest stored priority of this lane: ``priority > floor`` selects it and above."""
        return -self.value * BAND - SPAN
