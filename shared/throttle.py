"""Per-citizen flood control, shared by everything a citizen can make the bot answer.

A citizen's messages (a menu word typed is one) count in one window kept with the citizen
(``THROTTLE_MESSAGES`` in ``THROTTLE_WINDOW_SECONDS``); the one over the limit gets a
single warning and starts ``THROTTLE_SILENCE_SECONDS`` of silence, in which nothing they
send is answered. Button presses are counted apart, in memory (:class:`Presses`): twice
as many are allowed, as a citizen ticking alert topics or choosing a hotline presses
several in a minute, and the ones over are acknowledged but not answered. Every reply is a
send, queued beside answers to other citizens: one person tapping a button fifteen times
must not slow those.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from config.settings import HotlineSettings
from shared.clock import utcnow
from shared.storage import citizens
from shared.storage.schema import citizens as table

FORGET_AFTER = 10_000  # citizens remembered before the idle ones are dropped


class Verdict(StrEnum):
    """What the bot does with one more thing a citizen sent."""

    TAKE = "take"  # counted and within the limit: handle it
    WARN = "warn"  # this one went over: say «slow down» once, handle nothing
    SILENT = "silent"  # silenced: ignore it, say nothing


@dataclass(frozen=True)
class Window:
    """The citizen's current count (the ``citizens`` row's throttle columns)."""

    start: datetime | None
    count: int
    silenced_until: datetime | None

    @classmethod
    def of_row(cls, row: Any) -> Window:
        return cls(row.throttle_window_start, int(row.throttle_count), row.silenced_until)


class Presses:
    """Each citizen's recent button presses, in memory: flood control needs no history
    across a restart, and a press must not cost a write."""

    def __init__(self) -> None:
        self._seen: dict[int, deque[float]] = {}
        self._sweep_at = FORGET_AFTER  # the map's size that triggers the next sweep

    def allow(self, citizen_id: int, cfg: HotlineSettings, now: float | None = None) -> bool:
        """Count a press; False when the citizen is over ``2 × THROTTLE_MESSAGES`` presses
        in ``THROTTLE_WINDOW_SECONDS`` (the press is then left unanswered)."""
        now = time.monotonic() if now is None else now
        since = now - cfg.throttle_window_seconds
        recent = self._seen.setdefault(citizen_id, deque())
        while recent and recent[0] <= since:
            recent.popleft()
        if len(recent) >= 2 * cfg.throttle_messages:
            return False
        recent.append(now)
        if len(self._seen) > self._sweep_at:
            self._forget(since)
        return True

    async def answered(self, conn: AsyncConnection, citizen_id: int, cfg: HotlineSettings) -> bool:
        """Is this press to be answered: the citizen not silenced, nor pressing in a flood?"""
        if await silenced(conn, citizen_id):
            return False
        return self.allow(citizen_id, cfg)

    def _forget(self, since: float) -> None:
        """Drop citizens with no press in the window, so the map stays small; the next
        sweep waits till it has doubled (a broadcast's «Отписаться» presses by thousands
        must not each pay for a sweep)."""
        for citizen_id in [c for c, times in self._seen.items() if not times or times[-1] <= since]:
            del self._seen[citizen_id]
        self._sweep_at = max(FORGET_AFTER, 2 * len(self._seen))


async def silenced(conn: AsyncConnection, citizen_id: int) -> bool:
    """Is the citizen in a silence (after a flood of messages)? Their presses wait too."""
    until = (await window(conn, citizen_id)).silenced_until
    return until is not None and utcnow() < until


async def window(conn: AsyncConnection, citizen_id: int) -> Window:
    found = await conn.execute(
        select(table.c.throttle_window_start, table.c.throttle_count, table.c.silenced_until).where(
            table.c.id == citizen_id
        )
    )
    return Window.of_row(found.one())


async def count(
    conn: AsyncConnection, citizen_id: int, now_at: Window, cfg: HotlineSettings
) -> Verdict:
    """Count one more message (or press) in the citizen's window, and say what to do."""
    now = utcnow()
    if now_at.silenced_until is not None and now < now_at.silenced_until:
        return Verdict.SILENT
    start, so_far = now_at.start, now_at.count
    if start is None or now - start > timedelta(seconds=cfg.throttle_window_seconds):
        start, so_far = now, 0
    if so_far + 1 > cfg.throttle_messages:
        until = now + timedelta(seconds=cfg.throttle_silence_seconds)
        await citizens.set_fields(
            conn, citizen_id, throttle_window_start=None, throttle_count=0, silenced_until=until
        )
        return Verdict.WARN
    await citizens.set_fields(
        conn,
        citizen_id,
        throttle_window_start=start,
        throttle_count=so_far + 1,
        silenced_until=None,
    )
    return Verdict.TAKE


async def admit(
    conn: AsyncConnection,
    citizen_id: int,
    cfg: HotlineSettings,
    warn: Callable[[int], Awaitable[None]],
    now_at: Window | None = None,
) -> bool:
    """Count one more; True to handle it. Over the limit, ``warn`` is called once with the
    silence in whole minutes (the caller says «slow down» its own way)."""
    if now_at is None:
        now_at = await window(conn, citizen_id)
    verdict = await count(conn, citizen_id, now_at, cfg)
    if verdict is Verdict.WARN:
        await warn(max(1, round(cfg.throttle_silence_seconds / 60)))
    return verdict is Verdict.TAKE
