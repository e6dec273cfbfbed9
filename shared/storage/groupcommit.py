"""Group commit: writes that arrive while a write transaction runs share the next one.

Intake's messages and the outbox's journal arrive in bursts, and each is a small write
transaction serialised through the one writer; committing many in one transaction saves
the per-transaction cost (the lock, a connection, BEGIN and COMMIT). If any piece of a
batch fails, the batch is rolled back and each piece is run again in a transaction of its
own, so one bad piece never takes the others with it.

A batch is gathered before it starts: the writes of callers woken in the same turns of
the event loop (the answers of several platform calls read in one poll, say) arrive a
turn or two apart. The batch waits for the loop's next turns while it keeps growing, until
two turns in a row bring nothing (and 16 turns or 2 ms at most), so a lone write waits two
turns and a burst goes out as one transaction: a transaction costs far more than a turn.
On SQLite the transaction then runs without yielding, and nothing could join it later.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from shared.storage.engine import Database

Work = Callable[[AsyncConnection], Awaitable[None]]
Prepare = Callable[[AsyncConnection, list[Any]], Awaitable[None]]
Finish = Callable[[AsyncConnection], Awaitable[None]]


GATHER_TURNS = 16  # event-loop turns a batch may wait for more writes, while they come
QUIET_TURNS = 2  # turns in a row with no new write that end the gathering
GATHER_SECONDS = 0.002  # and no longer than this: an answer's claim and mark wait in it


class GroupCommit:
    """``prepare``, if given, runs first in a batch's transaction with the keys its pieces
    were submitted with, to read in one query what each piece would read alone; ``finish``
    runs last, to write in one statement what each piece would write alone. Both run for a
    batch only: a piece run alone (a batch of one, or after its batch failed) does its own."""

    def __init__(
        self,
        db: Database,
        limit: int = 64,
        prepare: Prepare | None = None,
        name: str = "intake",
        gather: int = GATHER_TURNS,
        finish: Finish | None = None,
    ) -> None:
        self.db = db
        self.name = name
        self.limit = limit
        self.prepare = prepare
        self.finish = finish
        self.gather = gather
        self._queue: list[tuple[Work, asyncio.Future[None], Any]] = []
        self._task: asyncio.Task[None] | None = None

    async def run(self, work: Work, key: Any = None) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((work, future, key))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain(), name=f"group-commit-{self.name}")
        await future

    async def _drain(self) -> None:
        batch: list[tuple[Work, asyncio.Future[None], Any]] = []
        try:
            await self._gather()
            while self._queue:
                batch, self._queue = self._queue[: self.limit], self._queue[self.limit :]
                await self._commit(batch)
        except BaseException as exc:
            # Cancelled (the app is stopping): nobody may wait for ever.
            for _, future, _ in [*batch, *self._queue]:
                if not future.done():
                    future.set_exception(exc)
            self._queue.clear()
            raise

    async def _gather(self) -> None:
        """Let the loop turn while writes keep arriving (until ``QUIET_TURNS`` turns bring
        none, up to ``gather`` turns, a full batch, or ``GATHER_SECONDS`` on a loop slow
        to turn)."""
        loop = asyncio.get_running_loop()
        until = loop.time() + GATHER_SECONDS
        still = 0
        for _ in range(self.gather):
            waiting = len(self._queue)
            if waiting >= self.limit or loop.time() >= until:
                return
            await asyncio.sleep(0)
            still = still + 1 if len(self._queue) == waiting else 0
            if still >= QUIET_TURNS:
                return

    async def _commit(self, batch: list[tuple[Work, asyncio.Future[None], Any]]) -> None:
        if len(batch) > 1:
            try:
                async with self.db.write(inline=True) as conn:
                    if self.prepare is not None:
                        await self.prepare(conn, [key for _, _, key in batch])
                    for work, _, _ in batch:
                        await work(conn)
                    if self.finish is not None:
                        await self.finish(conn)
            except Exception:
                for one in batch:
                    await self._commit([one])
                return
            for _, future, _ in batch:
                if not future.done():  # its waiter may have been cancelled meanwhile
                    future.set_result(None)
            return
        work, future, _ = batch[0]
        try:
            async with self.db.write(inline=True) as conn:
                await work(conn)
        except Exception as exc:
            if not future.done():
                future.set_exception(exc)
        else:
            if not future.done():
                future.set_result(None)
