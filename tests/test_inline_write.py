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


async def test_an_inline_transaction_holds_the_write_lock_from_its_start(
    sqlite_db: Database, tmp_path: Path
) -> None:
    """Its BEGIN IMMEDIATE is a plain call on the held connection (no statement round
    through SQLAlchemy), and still takes the lock before the first statement."""
    other = sqlite3.connect(tmp_path / "glashatai.db", isolation_level=None, timeout=0)
    try:
        async with sqlite_db.write(inline=True):
            try:
                other.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                refused = str(exc)
            else:
                other.execute("ROLLBACK")
                refused = ""
        assert refused == "database is locked"
        other.execute("BEGIN IMMEDIATE")  # released at the commit
        other.execute("ROLLBACK")
    finally:
        other.close()


async def test_queued_writes_of_an_inline_transaction_are_sent_before_its_commit(
    sqlite_db: Database, tmp_path: Path
) -> None:
    async with sqlite_db.write() as conn:
        item_id = await store.enqueue(conn, _note("один"))
    async with sqlite_db.write(inline=True) as conn:
        await store.save_progress(conn, item_id, {"text0": [7]})  # queued, sent at the end
    other = sqlite3.connect(tmp_path / "glashatai.db")
    try:
        (progress,) = other.execute("SELECT progress FROM outbox").fetchone()
    finally:
        other.close()
    assert progress == '{"text0": [7]}'


async def test_a_failing_queued_write_rolls_the_inline_transaction_back(
    sqlite_db: Database, tmp_path: Path
) -> None:
    async with sqlite_db.write() as conn:
        item_id = await store.enqueue(conn, _note("один"))
    try:
        async with sqlite_db.write(inline=True) as conn:
            await store.enqueue(conn, _note("два"))
            # Not JSON: the queued UPDATE fails when it is sent, just before the commit.
            await store.save_progress(conn, item_id, {"bad": object()})
    except TypeError:
        pass
    assert _rows_seen_by_another_connection(tmp_path / "glashatai.db") == 1
    async with sqlite_db.write(inline=True) as conn:  # the held connection still works
        await store.enqueue(conn, _note("три"))
    assert _rows_seen_by_another_connection(tmp_path / "glashatai.db") == 2
