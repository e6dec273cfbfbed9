"""Group commit: writes that arrive while a write transaction runs share the next one.

Intake's messages and the outbox's journal arrive in bursts, and each is a small write
transaction serialised through the one writer; committing many in one transaction saves
the per-transaction cost (the lock, a connection, BEGIN and COMMIT). If any piece of a
batch fails, the batch is rolled back and each piece is run again in a transaction of its
own, so one bad piece never takes the others with it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from shared.storage.engine import Database

Work = Callable[[AsyncConnection], Awaitable[None]]
Prepare = Callable[[AsyncConnection, list[Any]], Awaitable[None]]


class GroupCommit:
    """``prepare``, if given, runs first in a batch's transaction with the keys its pieces
    were submitted with, to read in one query what each piece would read alone."""

    def __init__(
        self,
        db: Database,
        limit: int = 64,
        prepare: Prepare | None = None,
        name: str = "intake",
    ) -> None:
        self.db = db
        self.name = name
        self.limit = limit
        self.prepare = prepare
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

    async def _commit(self, batch: list[tuple[Work, asyncio.Future[None], Any]]) -> None:
        if len(batch) > 1:
            try:
                async with self.db.write(inline=True) as conn:
                    if self.prepare is not None:
                        await self.prepare(conn, [key for _, _, key in batch])
                    for work, _, _ in batch:
                        await work(conn)
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
