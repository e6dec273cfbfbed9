"""Inline write transactions on SQLite (the group commits' path): as durable as any, and
never holding the event loop while another process has the database locked — such a
transaction waits for the lock on aiosqlite's thread instead."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from sqlalchemy import func, select

from shared.domain import OutboxAction
from shared.outbox import store
from shared.outbox.model import OutboxMessage
from shared.storage.engine import Database
from shared.storage.schema import outbox
from simulators.waiting import wait


def _note(text: str) -> OutboxMessage:
    return OutboxMessage("telegram", OutboxAction.SEND, "1", {"text": text})


def _rows_seen_by_another_connection(path: Path) -> int:
    other = sqlite3.connect(path)
    try:
        return int(other.execute("SELECT count(*) FROM outbox").fetchone()[0])
    finally:
        other.close()


async def test_an_inline_write_is_committed_for_every_connection(
    sqlite_db: Database, tmp_path: Path
) -> None:
    async with sqlite_db.write(inline=True) as conn:
        await store.enqueue(conn, _note("один"))
        await store.enqueue(conn, _note("два"))
    assert _rows_seen_by_another_connection(tmp_path / "glashatai.db") == 2
    async with sqlite_db.read() as conn:
        assert await conn.scalar(select(func.count()).select_from(outbox)) == 2


async def test_a_rolled_back_inline_write_leaves_nothing(
    sqlite_db: Database, tmp_path: Path
) -> None:
    try:
        async with sqlite_db.write(inline=True) as conn:
            await store.enqueue(conn, _note("один"))
            raise RuntimeError("the feature's bug")
    except RuntimeError:
        pass
    assert _rows_seen_by_another_connection(tmp_path / "glashatai.db") == 0


async def test_a_locked_database_is_waited_for_off_the_loop(
    sqlite_db: Database, tmp_path: Path
) -> None:
    other = sqlite3.connect(tmp_path / "glashatai.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process writing
    turns = 0

    async def loop_turns() -> None:
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    async def write() -> None:
        async with sqlite_db.write(inline=True) as conn:
            await store.enqueue(conn, _note("после блокировки"))

    ticker = asyncio.create_task(loop_turns())
    writer = asyncio.create_task(write())
    try:
        seen = turns
        # The writer waits for the lock while the loop keeps turning.
        await wait(lambda: turns > seen + 100)
        assert not writer.done()
        other.execute("COMMIT")
        await asyncio.wait_for(writer, 10)
    finally:
        ticker.cancel()
        other.close()
    assert _rows_seen_by_another_connection(tmp_path / "glashatai.db") == 1
