"""The moderation core on both engines: the conditional updates and the queue's order."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from shared.clock import utcnow
from shared.hotlines import campaigns, moderation
from shared.hotlines import questions as repo
from shared.hotlines.model import Moderator
from shared.services import Services
from shared.storage import citizens
from shared.storage.engine import Database
from shared.texts import Texts
from tests.harness import settings_for


async def _services(db: Database, tmp_path: Path) -> Services:
    return Services(settings=settings_for(tmp_path), db=db, texts=Texts.load())


async def test_first_answer_wins_under_a_race(db: Database, tmp_path: Path) -> None:
    services = await _services(db, tmp_path)
    async with db.write() as conn:
        c = await citizens.get_or_create(conn, "vk", "1")
        qid = await repo.add(conn, citizen_id=c.id, hotline_id=None, text="?")
    a, b = Moderator(1, "А", "tg:1"), Moderator(2, "Б", "tg:2")
    results = await asyncio.gather(
        moderation.answer(services, a, qid, "ответ А"),
        moderation.answer(services, b, qid, "ответ Б"),
    )
    kinds = sorted(r.result.value for r in results)
    assert kinds == ["answered", "taken_by_other"]
    async with db.read() as conn:
        answers = await repo.answers_of(conn, qid)
    assert len(answers) == 1
    assert not answers[0].is_correction


async def test_queue_order_and_next(db: Database, tmp_path: Path) -> None:
    services = await _services(db, tmp_path)
    now = utcnow()
    async with db.write() as conn:
        h = await campaigns.create(
            conn, topic="Т", starts_at=now, ends_at=now + timedelta(hours=1), created_by="t"
        )
        c = await citizens.get_or_create(conn, "telegram", "1")
        ids = [
            await repo.add(conn, citizen_id=c.id, hotline_id=h.id, text=f"q{n}") for n in range(5)
        ]
        await repo.set_fields(conn, ids[0], status="answered")
        await repo.set_fields(conn, ids[2], status="assigned", assigned_to=9)
    async with db.read() as conn:
        page = await repo.waiting_page(conn, 0, 3)
        assert [q.id for q in page] == [ids[1], ids[2], ids[3]]
        assert [q.id for q in await repo.waiting_page(conn, ids[3], 3)] == [ids[4]]
        first = await repo.oldest_new(conn)
        assert first is not None
        assert first.id == ids[1]
    await moderation.next_question(services, Moderator(5, "М", "tg:5"))
    async with db.read() as conn:
        taken = await repo.get(conn, ids[1])
    assert taken is not None
    assert taken.assigned_to == 5


async def test_group_commit_isolates_a_failing_piece(db: Database) -> None:
    from sqlalchemy import func, select
    from sqlalchemy.ext.asyncio import AsyncConnection

    from shared.errors import InvalidInput
    from shared.hotlines.batching import GroupCommit
    from shared.storage.schema import citizens as table

    batcher = GroupCommit(db)

    def ok(n: int):  # type: ignore[no-untyped-def]
        async def work(conn: AsyncConnection) -> None:
            await citizens.get_or_create(conn, "vk", str(n))

        return work

    async def bad(conn: AsyncConnection) -> None:
        await citizens.get_or_create(conn, "vk", "bad")
        raise InvalidInput("nope")

    results = await asyncio.gather(
        *(batcher.run(ok(n)) for n in range(5)), batcher.run(bad), return_exceptions=True
    )
    assert [type(r).__name__ for r in results] == ["NoneType"] * 5 + ["InvalidInput"]
    async with db.read() as conn:
        names = (await conn.execute(select(func.count()).select_from(table))).scalar_one()
        bad_row = await citizens.find(conn, "vk", "bad")
    assert names == 5
    assert bad_row is None


async def test_a_batch_writes_the_message_ids_it_took_in_one_statement(db: Database) -> None:
    """Intake's replay check costs one read and one write per batch, not one per message,
    and a message delivered again, in the same batch or a later one, is still skipped."""
    from typing import Any

    from sqlalchemy import event, func, select
    from sqlalchemy.ext.asyncio import AsyncConnection

    from shared.hotlines import replays
    from shared.hotlines.batching import GroupCommit
    from shared.hotlines.model import Incoming
    from shared.storage.schema import incoming_seen

    taken: list[str] = []

    async def prefetch(conn: AsyncConnection, keys: list[Any]) -> None:
        await replays.prefetch(conn, keys)

    batcher = GroupCommit(db, prepare=prefetch, finish=replays.flush)

    async def deliver(n: int) -> None:
        incoming = Incoming("vk", str(n), str(n), text="?", message_id=f"m{n}")

        async def work(conn: AsyncConnection) -> None:
            if not await replays.seen_before(conn, incoming):
                taken.append(incoming.message_id or "")
                await replays.taken(conn, incoming)

        await batcher.run(work, key=replays.key_of(incoming))

    inserts: list[str] = []

    def counted(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO INCOMING_SEEN"):
            inserts.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", counted)
    try:
        await asyncio.gather(*(deliver(n) for n in (1, 2, 3, 2)))
        await asyncio.gather(*(deliver(n) for n in (3, 4)))
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", counted)
    assert taken == ["m1", "m2", "m3", "m4"]
    assert len(inserts) == 2  # one per batch
    async with db.read() as conn:
        kept = await conn.scalar(select(func.count()).select_from(incoming_seen))
    assert kept == 4
