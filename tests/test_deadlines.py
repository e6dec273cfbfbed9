"""Deadlines: answer-by times, /overdue, the working-day reminder and the card's wait.

The reminder's truth is the ``reminders`` table: asked again the same day (the scheduler's
sync, a wake-up, a restarted process) the planner makes nothing more; a day off makes none.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bots.cli import main
from shared.clock import utcnow
from shared.domain import HotlineStatus, QuestionStatus
from shared.hotlines import cards, deadlines
from shared.hotlines import questions as repo
from shared.hotlines.deadlines import DeadlinePlanner
from shared.outbox.payload import MessagePayload
from shared.richtext import to_plain
from shared.services import Services
from shared.storage import citizens
from shared.storage.engine import Database
from shared.storage.schema import hotlines, outbox, questions, reminders
from shared.texts import Texts
from simulators.telegram import FakeTelegram
from tests.harness import ADMIN_CHAT, MODERATOR, settings_for
from tests.hotline_harness import containing, running, tg_text, wait

OFFICE = ZoneInfo("Asia/Krasnoyarsk")
MONDAY_9 = datetime(2026, 11, 30, 9, 0, tzinfo=OFFICE)
ADMIN = {"telegram": {"token": "123456:TEST-token", "admin_chat_id": -1001}}


def services_on(db: Database, tmp_path: Path, **hotline: Any) -> Services:
    overrides = {**ADMIN, "hotline": hotline}
    return Services(settings=settings_for(tmp_path, overrides=overrides), db=db, texts=Texts.load())


async def add_hotline(
    db: Database, topic: str, ends_at: datetime, answer_days: int | None = None
) -> int:
    async with db.write() as conn:
        result = await conn.execute(
            hotlines.insert()
            .values(
                topic=topic,
                description="",
                starts_at=ends_at - timedelta(hours=2),
                ends_at=ends_at,
                status=HotlineStatus.CLOSED.value,
                announced=True,
                summary_sent=True,
                created_by="test",
                created_at=ends_at,
                answer_days=answer_days,
            )
            .returning(hotlines.c.id)
        )
        return int(result.scalar_one())


async def ask(db: Database, hotline_id: int | None, status: QuestionStatus) -> int:
    async with db.write() as conn:
        citizen = await citizens.get_or_create(conn, "vk", "42")
        question_id = await repo.add(
            conn, citizen_id=citizen.id, hotline_id=hotline_id, text="Когда дадут тепло?"
        )
        await repo.set_fields(conn, question_id, status=status.value)
    return question_id


async def test_overdue_follows_each_hotlines_answer_by(db: Database, tmp_path: Path) -> None:
    services = services_on(db, tmp_path, answer_days=7)
    now = utcnow()
    late = await add_hotline(db, "Отопление", now - timedelta(days=8))
    own = await add_hotline(db, "Дороги", now - timedelta(days=8), answer_days=30)
    late_q = await ask(db, late, QuestionStatus.NEW)
    taken_q = await ask(db, late, QuestionStatus.ASSIGNED)
    await ask(db, late, QuestionStatus.ANSWERED)
    await ask(db, own, QuestionStatus.NEW)
    await ask(db, None, QuestionStatus.NEW)  # a general question has no answer-by time
    async with db.read() as conn:
        found = await deadlines.overdue(conn, services.settings.hotline, now)
        waiting, overdue = await deadlines.counts(conn, services.settings.hotline, now)
    assert [f.ticket for f in found] == [late_q, taken_q]
    assert found[0].due == now - timedelta(days=1)
    assert (waiting, overdue) == (4, 2)
    text = await deadlines.listing(services)
    assert text.startswith("Просрочен срок ответа — 2:")
    assert f"№{late_q} · «Отопление»" in text
    assert "«Дороги»" not in text


async def test_cli_answer_days_is_the_hotlines_own(db: Database, tmp_path: Path) -> None:
    services = services_on(db, tmp_path)
    now = utcnow()
    hotline = await add_hotline(db, "Вода", now - timedelta(days=3))
    async with db.write() as conn:
        await deadlines.set_answer_days(conn, hotline, 1)
    await ask(db, hotline, QuestionStatus.NEW)
    async with db.read() as conn:
        assert len(await deadlines.overdue(conn, services.settings.hotline, now)) == 1


async def reminder_rows(db: Database) -> list[dict[str, Any]]:
    async with db.read() as conn:
        rows = await conn.execute(select(outbox).where(outbox.c.ref_type == "moderation"))
        return [dict(r._mapping) for r in rows]


async def test_one_reminder_per_working_day_across_restarts(db: Database, tmp_path: Path) -> None:
    services = services_on(db, tmp_path, answer_days=0)
    hotline = await add_hotline(db, "Отопление", MONDAY_9 - timedelta(days=2))
    await ask(db, hotline, QuestionStatus.NEW)
    await ask(db, None, QuestionStatus.NEW)
    planner = DeadlinePlanner(services)
    await planner.run_due(MONDAY_9 - timedelta(minutes=1))
    assert await reminder_rows(db) == []
    assert await planner.upcoming(MONDAY_9 - timedelta(minutes=1), MONDAY_9) == [MONDAY_9]
    await planner.run_due(MONDAY_9)
    await planner.run_due(MONDAY_9 + timedelta(minutes=5))
    # A restarted process (a new planner on the same tables) late in the morning.
    await DeadlinePlanner(services).run_due(MONDAY_9 + timedelta(hours=2))
    sent = await reminder_rows(db)
    assert len(sent) == 1
    text = to_plain_payload(sent[0])
    assert "Ждут ответа: 2, из них с просроченным сроком: 1" in text
    # Tuesday's comes on Tuesday; a process that was down all Monday does not make it up.
    await DeadlinePlanner(services).run_due(MONDAY_9 + timedelta(days=1, hours=3))
    assert len(await reminder_rows(db)) == 2


async def test_no_reminder_on_days_off_or_with_nothing_waiting(
    db: Database, tmp_path: Path
) -> None:
    holiday = (MONDAY_9 + timedelta(days=1)).date()
    services = services_on(db, tmp_path, holidays=[holiday.isoformat()])
    planner = DeadlinePlanner(services)
    saturday = MONDAY_9 - timedelta(days=2)
    await ask(db, None, QuestionStatus.NEW)
    await planner.run_due(saturday + timedelta(hours=1))
    await planner.run_due(MONDAY_9 + timedelta(days=1, hours=1))
    assert await reminder_rows(db) == []
    assert await planner.upcoming(saturday, saturday + timedelta(days=4)) == [
        MONDAY_9,
        MONDAY_9 + timedelta(days=2),
    ]
    # Nothing waiting: the day is marked done, nothing is sent.
    async with db.write() as conn:
        await conn.execute(questions.update().values(status=QuestionStatus.ANSWERED.value))
    await planner.run_due(MONDAY_9)
    assert await reminder_rows(db) == []
    async with db.read() as conn:
        made = (await conn.execute(select(reminders))).all()
    assert [(r.kind, r.day, r.outbox_id) for r in made] == [("deadlines", "2026-11-30", None)]


def to_plain_payload(row: dict[str, Any]) -> str:
    return to_plain(MessagePayload.from_dict(row["payload"]).doc)


async def test_card_shows_how_long_the_question_waited(db: Database, tmp_path: Path) -> None:
    services = services_on(db, tmp_path)
    question_id = await ask(db, None, QuestionStatus.NEW)
    async with db.write() as conn:
        await repo.set_fields(
            conn, question_id, created_at=utcnow() - timedelta(hours=3, minutes=5)
        )
        question = await repo.get(conn, question_id)
        assert question is not None
        doc, _ = await cards.render(conn, services.settings, services.texts, question)
    assert "Ждёт ответа 3 ч 5 мин" in to_plain(doc)


async def test_overdue_command_in_the_admin_chat(tmp_path: Path, tg: FakeTelegram) -> None:
    async with running(tmp_path, tg) as app:
        db = app.services.db
        hotline = await add_hotline(db, "Мусор", utcnow() - timedelta(days=10))
        question_id = await ask(db, hotline, QuestionStatus.NEW)
        tg.user_message(MODERATOR, ADMIN_CHAT, text="/overdue")
        reply = await wait(lambda: containing(tg.messages(ADMIN_CHAT), "Просрочен срок ответа"))
        assert f"№{question_id} · «Мусор» · ждёт" in tg_text(reply[0])


def test_cli_create_with_answer_days(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GLASHATAI_DATABASE__URL", f"sqlite+aiosqlite:///{tmp_path}/glashatai.db")
    argv = ["hotline", "create", "--topic", "Вода", "--start", "2099-12-01 10:00"]
    assert main([*argv, "--end", "2099-12-01 12:00", "--answer-days", "3"]) == 0

    async def stored() -> list[Any]:
        db = Database(f"sqlite+aiosqlite:///{tmp_path}/glashatai.db")
        try:
            async with db.read() as conn:
                return list(await conn.execute(select(hotlines.c.answer_days)))
        finally:
            await db.dispose()

    assert [tuple(r) for r in asyncio.run(stored())] == [(3,)]
