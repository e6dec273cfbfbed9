"""Storage on SQLite and PostgreSQL: migrations, no drift, transactions, repositories."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import func, select, text

from shared.clock import utcnow
from shared.domain import OutboxAction, OutboxState
from shared.outbox import store
from shared.outbox.model import OutboxMessage
from shared.storage import audit, citizens, media
from shared.storage.engine import Database
from shared.storage.fastsqlite import OneTripDialect
from shared.storage.media import MediaOwner
from shared.storage.migrate import drift, upgrade
from shared.storage.schema import citizens as citizens_table
from shared.storage.schema import metadata, outbox


async def test_upgrade_from_empty_creates_every_table(empty_db: Database) -> None:
    await upgrade(empty_db)
    async with empty_db.read() as conn:
        names = await conn.run_sync(
            lambda sync: set(__import__("sqlalchemy").inspect(sync).get_table_names())
        )
    assert set(metadata.tables) <= names
    assert "alembic_version" in names


async def test_models_and_migrations_do_not_drift(db: Database) -> None:
    assert await drift(db) == []


async def test_upgrade_twice_is_harmless(db: Database) -> None:
    await upgrade(db)
    assert await drift(db) == []


async def test_sqlite_pragmas(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/sub/dir/g.db")
    async with db.read() as conn:
        mode = (await conn.execute(text("PRAGMA journal_mode"))).scalar()
        sync = (await conn.execute(text("PRAGMA synchronous"))).scalar()
        busy = (await conn.execute(text("PRAGMA busy_timeout"))).scalar()
        limit = (await conn.execute(text("PRAGMA journal_size_limit"))).scalar()
    await db.dispose()
    assert (tmp_path / "sub" / "dir" / "g.db").exists()
    assert mode == "wal"
    assert sync == 1  # NORMAL
    assert busy >= 5000
    assert limit > 0


async def test_concurrent_read_modify_write_does_not_lose_updates(db: Database) -> None:
    """Writers wait for each other (BEGIN IMMEDIATE on SQLite) instead of failing or losing."""
    async with db.write() as conn:
        c = await citizens.get_or_create(conn, "telegram", "1")

    async def bump() -> None:
        async with db.write() as conn:
            row = await citizens.get(conn, c.id)
            assert row is not None
            await asyncio.sleep(0.01)  # widens the read-to-write gap; not a wait for anything
            count = int(row.state_data.get("n", 0)) + 1
            await citizens.set_fields(conn, c.id, state_data={"n": count})

    await asyncio.gather(*(bump() for _ in range(20)))
    async with db.read() as conn:
        final = await citizens.get(conn, c.id)
    assert final is not None
    assert final.state_data == {"n": 20}


async def test_enqueue_dedupes_on_key(db: Database) -> None:
    message = OutboxMessage("telegram", OutboxAction.SEND, "42", {"doc": []}, dedupe_key="k1")
    async with db.write() as conn:
        first = await store.enqueue(conn, message)
        second = await store.enqueue(conn, message)
        third = await store.enqueue(
            conn, OutboxMessage("telegram", OutboxAction.SEND, "42", {"doc": []})
        )
    assert first == second != third
    async with db.read() as conn:
        assert (await conn.execute(select(func.count()).select_from(outbox))).scalar() == 2
        item = await store.get(conn, first)
    assert item is not None
    assert item.state is OutboxState.PENDING
    assert item.next_attempt_at.tzinfo is not None


async def test_claim_is_exclusive(db: Database) -> None:
    async with db.write() as conn:
        item_id = await store.enqueue(
            conn, OutboxMessage("vk", OutboxAction.SEND, "7", {"doc": []})
        )
    async with db.write() as conn:
        assert await store.claim(conn, item_id) is not None
    async with db.write() as conn:
        assert await store.claim(conn, item_id) is None


async def test_media_and_refs(db: Database) -> None:
    async with db.write() as conn:
        media_id = await media.add(
            conn,
            owner_type=MediaOwner.POST,
            owner_id=1,
            kind="photo",
            filename="a.jpg",
            mime="image/jpeg",
            data=b"\xff\xd8\xff" + b"0" * 100,
        )
        await media.set_ref(conn, media_id, "telegram_file_id", "AgAD")
    async with db.read() as conn:
        got = await media.get(conn, media_id)
        listed = await media.of(conn, MediaOwner.POST, 1)
    assert got is not None
    assert got.refs == {"telegram_file_id": "AgAD"}
    assert got.data is not None
    assert got.data.startswith(b"\xff\xd8")
    assert [m.id for m in listed] == [media_id]


async def test_audit_log_appends(db: Database) -> None:
    async with db.write() as conn:
        await audit.record(conn, "telegram:5", "reject", "question", 3, reason="spam")
        await audit.record(conn, "telegram:6", "answer", "question", 3)
    async with db.read() as conn:
        rows = await audit.entries(conn, "question", 3)
    assert [r["action"] for r in rows] == ["reject", "answer"]
    assert rows[0]["details"] == {"reason": "spam"}
    assert rows[0]["at"].tzinfo is not None


async def test_citizen_created_without_personal_data(db: Database) -> None:
    async with db.write() as conn:
        c = await citizens.get_or_create(conn, "vk", "100", display_name="Иван")
        again = await citizens.get_or_create(conn, "vk", "100")
    assert c.id == again.id
    assert c.display_name is None
    assert c.consent_at is None
    assert c.reachable


async def test_sqlite_uses_one_trip_per_statement(sqlite_db: Database) -> None:
    """The faster SQLite adapter keeps what SQLAlchemy relies on: rows, rowcount, many."""
    assert isinstance(sqlite_db.engine.dialect, OneTripDialect)  # its inline variant too
    now = utcnow()
    rows = [
        {"platform": "vk", "platform_user_id": str(n), "reachable": True, "banned": False,
         "state_data": {}, "throttle_count": 0, "created_at": now}
        for n in range(5)
    ]  # fmt: skip
    table = citizens_table

    async with sqlite_db.write() as conn:
        await conn.execute(table.insert(), rows)
        changed = await conn.execute(
            table.update().where(table.c.platform == "vk").values(banned=True)
        )
        assert changed.rowcount == 5
        inserted = await conn.execute(
            table.insert().values(**{**rows[0], "platform_user_id": "x"}).returning(table.c.id)
        )
        assert inserted.scalar_one() == 6
        assert (await conn.execute(select(func.count()).select_from(table))).scalar() == 6
        assert (await conn.execute(text("SELECT 1 WHERE 0"))).first() is None
