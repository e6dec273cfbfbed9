"""Write-behind keeps a transaction's meaning on both engines: queued writes are seen by
every later statement that could see them, keep their order, and die with a rollback."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select, text

from shared.callbacks import issue, resolve
from shared.clock import utcnow
from shared.domain import OutboxAction
from shared.hotlines import campaigns
from shared.hotlines.conversation import Conversation
from shared.hotlines.model import Incoming
from shared.outbox import store
from shared.outbox.model import OutboxMessage
from shared.outbox.payload import message
from shared.richtext import from_plain
from shared.services import Services
from shared.storage import citizens, writebehind
from shared.storage.engine import Database
from shared.storage.groupcommit import GroupCommit
from shared.storage.schema import callback_tokens, outbox, questions
from shared.storage.schema import citizens as citizens_table
from shared.texts import Texts
from tests.harness import settings_for


def _note(n: int) -> OutboxMessage:
    return OutboxMessage(
        platform="telegram",
        action=OutboxAction.SEND,
        destination="1",
        payload=message(from_plain(f"#{n}")),
        ref_type="test",
        ref_id=n,
    )


def _count_statements(db: Database) -> list[str]:
    seen: list[str] = []

    @event.listens_for(db.engine.sync_engine, "before_cursor_execute")
    def _seen(_c: Any, _cur: Any, statement: str, *_rest: Any) -> None:
        seen.append(statement.split()[0].upper())

    return seen


async def test_updates_of_one_row_merge_into_one_statement(db: Database) -> None:
    async with db.write() as conn:
        c = await citizens.get_or_create(conn, "telegram", "1")
    seen = _count_statements(db)
    async with db.write() as conn:
        await citizens.set_fields(conn, c.id, state="ask")
        await citizens.set_fields(conn, c.id, throttle_count=3)
        await citizens.set_fields(conn, c.id, state="idle", state_data={"x": 1})
    assert seen.count("UPDATE") == 1
    async with db.read() as conn:
        found = await citizens.get(conn, c.id)
        count = (
            await conn.execute(
                select(citizens_table.c.throttle_count).where(citizens_table.c.id == c.id)
            )
        ).scalar_one()
    assert found is not None
    assert found.state == "idle"
    assert found.state_data == {"x": 1}
    assert count == 3


async def test_a_read_of_the_table_sees_the_queued_writes(db: Database) -> None:
    async with db.write() as conn:
        c = await citizens.get_or_create(conn, "vk", "2")
        await citizens.set_fields(conn, c.id, display_name="Анна")
        again = await citizens.get(conn, c.id)
        token = await issue(conn, "citizen.mine", c.id)
        resolved = await resolve(conn, token)
        # Raw SQL names no table the barrier can see: everything is sent first.
        raw = (
            await conn.execute(
                text("SELECT count(*) FROM callback_tokens WHERE token = :t"), {"t": token}
            )
        ).scalar_one()
    assert again is not None
    assert again.display_name == "Анна"
    assert resolved is not None
    assert resolved.target_id == c.id
    assert raw == 1


async def test_queued_and_immediate_inserts_keep_their_order(db: Database) -> None:
    async with db.write() as conn:
        await store.enqueue_later(conn, _note(1))
        await store.enqueue_later(conn, _note(2))
        middle = await store.enqueue(conn, _note(3))
        await store.enqueue_later(conn, _note(4))
    async with db.read() as conn:
        rows = (
            await conn.execute(select(outbox.c.id, outbox.c.ref_id).order_by(outbox.c.id))
        ).all()
    assert [ref for _, ref in rows] == [1, 2, 3, 4]
    assert dict((ref, i) for i, ref in rows)[3] == middle


async def test_a_rollback_drops_the_queue(db: Database) -> None:
    async with db.write() as conn:
        c = await citizens.get_or_create(conn, "telegram", "3")

    async def fails() -> None:
        async with db.write() as conn:
            await citizens.set_fields(conn, c.id, banned=True)
            await issue(conn, "citizen.mine", c.id)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await fails()
    async with db.write() as conn:
        found = await citizens.get(conn, c.id)
        tokens = (
            await conn.execute(select(func.count()).select_from(callback_tokens))
        ).scalar_one()
    assert found is not None
    assert not found.banned
    assert tokens == 0


async def test_an_update_with_a_condition_stays_conditional(db: Database) -> None:
    async with db.write() as conn:
        item = await store.enqueue(conn, _note(5))
        await conn.execute(outbox.update().where(outbox.c.id == item).values(state="sent"))
        await writebehind.update(
            conn, outbox, item, {"ref_type": "changed"}, where={"state": "pending"}
        )
    async with db.read() as conn:
        got = await store.get(conn, item)
    assert got is not None
    assert got.ref_type == "test"


async def test_outside_a_write_transaction_writes_happen_at_once(db: Database) -> None:
    async with db.engine.begin() as conn:
        await writebehind.insert(
            conn,
            callback_tokens,
            {
                "token": "t" * 16,
                "action": "x",
                "target_id": None,
                "data": {},
                "created_at": utcnow(),
            },
        )
        found = (await conn.execute(select(func.count()).select_from(callback_tokens))).scalar_one()
    assert found == 1


async def test_a_batch_reads_citizens_once_and_a_second_message_sees_the_first(
    db: Database, tmp_path: Path
) -> None:
    """Five messages from one citizen in one batch: the throttle counts all five."""
    settings = settings_for(tmp_path, overrides={"hotline": {"throttle_messages": 2}})
    services = Services(settings=settings, db=db, texts=Texts.load())
    now = utcnow()
    async with db.write() as conn:
        await campaigns.create(
            conn, topic="Дороги", starts_at=now - timedelta(minutes=1),
            ends_at=now + timedelta(hours=1), created_by="test",
        )  # fmt: skip
        c = await citizens.get_or_create(conn, "telegram", "7")
        await citizens.set_fields(conn, c.id, consent_at=now, display_name="Иван")
    talk = Conversation(services)
    prefetched: list[int] = []
    prefetch = talk.intake.prepare
    assert prefetch is not None

    async def counting(conn: Any, keys: list[Any]) -> None:
        prefetched.append(len(keys))
        await prefetch(conn, keys)

    talk.intake.prepare = counting
    await asyncio.gather(
        *(talk.message(Incoming("telegram", "7", "7", text=f"Вопрос {n}")) for n in range(5))
    )
    assert prefetched == [5]
    async with db.read() as conn:
        stored = (await conn.execute(select(func.count()).select_from(questions))).scalar_one()
        replies = [
            json.dumps(row.payload, ensure_ascii=False)
            for row in await conn.execute(
                select(outbox.c.payload).where(outbox.c.citizen_id == c.id).order_by(outbox.c.id)
            )
        ]
    assert stored == 2
    assert len(replies) == 3  # two tickets, then one warning, then silence
    assert "слишком часто" in replies[-1]


async def test_a_cancelled_statement_ends_the_transaction_with_the_cancellation(
    sqlite_db: Database,
) -> None:
    """Cancelling a write mid-statement raises CancelledError, not a cleanup error."""
    started = asyncio.Event()
    slow = text(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000)"
        " SELECT count(*) FROM n"
    )

    async def long_write() -> None:
        async with sqlite_db.write() as conn:
            await issue(conn, "citizen.mine", None)
            started.set()
            await conn.execute(slow)

    task = asyncio.create_task(long_write())
    await started.wait()
    await asyncio.sleep(0.05)  # cancel while the slow statement runs; a later cancel is as valid
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # The database is usable afterwards and the cancelled transaction left nothing.
    async with sqlite_db.write() as conn:
        await issue(conn, "citizen.mine", None)
    async with sqlite_db.read() as conn:
        count = (await conn.execute(select(func.count()).select_from(callback_tokens))).scalar_one()
    assert count == 1


async def test_queued_updates_store_values_as_their_columns_do(db: Database) -> None:
    """On SQLite queued updates go to the driver as prepared SQL with the values converted
    by hand (JSON, dates): they must read back exactly as SQLAlchemy's own writes do."""
    async with db.write() as conn:
        first = await store.enqueue(conn, _note(1))
        second = await store.enqueue(conn, _note(2))
    when = utcnow() - timedelta(minutes=5)
    progress = {"_inflight": "text0", "ещё": [1, "ё", None]}
    async with db.write() as conn:
        await writebehind.update(conn, outbox, first, {"progress": progress, "updated_at": when})
        await writebehind.update(
            conn, outbox, second, {"state": "sent", "error": None}, where={"state": "pending"}
        )
    async with db.write() as conn:  # the same values written by SQLAlchemy directly
        await conn.execute(
            outbox.update().where(outbox.c.id == second).values(progress=progress, updated_at=when)
        )
    async with db.read() as conn:
        rows = {r.id: r for r in await conn.execute(select(outbox).order_by(outbox.c.id))}
    assert rows[first].progress == rows[second].progress == progress
    assert rows[first].updated_at == rows[second].updated_at == when
    assert rows[second].state == "sent"
    assert rows[second].error is None


async def test_writes_arriving_over_a_few_loop_turns_share_one_transaction(
    db: Database,
) -> None:
    group = GroupCommit(db, name="test")

    async def nothing(conn: Any) -> None:
        return None

    await group.run(nothing)  # the writer's connection is open: the writes below don't wait
    commits: list[object] = []
    event.listen(db.engine.sync_engine, "commit", commits.append)
    # Writer n is let go by writer n-1 as that one submits: each arrives a loop turn later.
    go = [asyncio.Event() for _ in range(5)]
    waiting = asyncio.Event()

    async def write(n: int) -> None:
        if n == len(go) - 1:
            waiting.set()  # every writer waits for its turn now
        await go[n].wait()
        if n + 1 < len(go):
            go[n + 1].set()

        async def piece(conn: Any) -> None:
            await store.enqueue(conn, _note(n))

        await group.run(piece)

    writers = asyncio.gather(*(write(n) for n in range(len(go))))
    await waiting.wait()
    go[0].set()
    await writers
    assert len(commits) == 1
    async with db.read() as conn:
        assert await conn.scalar(select(func.count()).select_from(outbox)) == 5
