"""Workers: how many sends make their calls at once, and which waiting send goes next.

The dispatcher claims rows ahead of the workers (a claim is a transaction, and a send that
waited for its own claim waited for one more commit). A claimed row waits here, unmarked,
until a worker is free: a restart simply sends it again. A free worker goes to the best
lane waiting (an answer before a broadcast), then to the send claimed first; the broadcast
lanes never hold more than their share of the workers.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field

from shared.outbox.lanes import Lane


@dataclass(order=True)
class _Waiter:
    lane: Lane
    order: int
    future: asyncio.Future[None] = field(compare=False)


class Workers:
    def __init__(self, size: int, broadcast: int) -> None:
        self.size = size
        self.broadcast = broadcast
        self.busy = 0
        self.busy_broadcast = 0
        self._waiting: list[_Waiter] = []
        self._order = itertools.count()

    def _fits(self, lane: Lane) -> bool:
        if self.busy >= self.size:
            return False
        return not lane.broadcast or self.busy_broadcast < self.broadcast

    def _hold(self, lane: Lane) -> None:
        self.busy += 1
        if lane.broadcast:
            self.busy_broadcast += 1

    async def take(self, lane: Lane) -> None:
        """Wait for a worker for a send of ``lane``; hold it until :meth:`give`."""
        if not self._waiting and self._fits(lane):
            self._hold(lane)
            return
        me = _Waiter(lane, next(self._order), asyncio.get_running_loop().create_future())
        self._waiting.append(me)
        self._hand_out()
        try:
            await me.future
        except asyncio.CancelledError:
            if me.future.done() and not me.future.cancelled():
                self.give(lane)  # handed a worker just as it was cancelled
            elif me in self._waiting:
                self._waiting.remove(me)
            raise

    def give(self, lane: Lane) -> None:
        """The send's calls are over: its worker goes to the next waiting send."""
        self.busy -= 1
        if lane.broadcast:
            self.busy_broadcast -= 1
        self._hand_out()

    def _hand_out(self) -> None:
        if not self._waiting or self.busy >= self.size:
            return
        self._waiting.sort()
        for waiter in list(self._waiting):
            if self.busy >= self.size:
                break
            if waiter.future.cancelled():
                self._waiting.remove(waiter)
            elif self._fits(waiter.lane):
                self._waiting.remove(waiter)
                self._hold(waiter.lane)
                waiter.future.set_result(None)
