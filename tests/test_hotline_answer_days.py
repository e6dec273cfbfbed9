"""The hotline's answer-by days from the admin chat: the dialogue names them, /answer_days
sets or shows them, and /overdue follows at once (the real app against the fake Bot API)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from shared.clock import utcnow
from shared.domain import QuestionStatus
from shared.storage.schema import hotlines
from simulators.telegram import FakeTelegram
from tests.harness import ADMIN_CHAT, MODERATOR
from tests.hotline_harness import STRANGER, containing, hotline_people, running, tg_text, wait
from tests.test_deadlines import add_hotline, ask


@pytest.fixture
def tg(tg: FakeTelegram) -> FakeTelegram:
    """conftest's strict fake (limits and teardown checks on) with the hotline's people."""
    return hotline_people(tg)


def said(tg: FakeTelegram, needle: str) -> list[dict[str, object]]:
    return containing(tg.messages(ADMIN_CHAT), needle)


async def test_the_dialogue_names_them_and_the_command_sets_them(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    async with running(tmp_path, tg) as app:
        dialogue = (
            ("/hotline", "Напишите тему"),
            ("Отопление", "Коротко опишите"),
            ("-", "Когда начало?"),
            ("2099-12-01 10:00", "Когда конец?"),
            ("2099-12-01 12:00", "создана"),
        )
        for text, reply in dialogue:
            tg.user_message(MODERATOR, ADMIN_CHAT, text=text)
            await wait(lambda reply=reply: said(tg, reply))  # type: ignore[misc]
        created = tg_text(said(tg, "создана")[0])
        assert "ответить за 7 дн. после закрытия, до 08.12.2099 12:00" in created
        assert "/answer_days 1 ЧИСЛО_ДНЕЙ" in created

        tg.user_message(MODERATOR, ADMIN_CHAT, text="/answer_days 1")
        shown = await wait(lambda: said(tg, "(по умолчанию)"))
        assert "№1 «Отопление»: на вопросы ответить за 7 дн." in tg_text(shown[0])

        tg.user_message(STRANGER, ADMIN_CHAT, text="/answer_days 1 1")
        tg.user_message(MODERATOR, ADMIN_CHAT, text="/answer_days №1 10")
        done = await wait(lambda: said(tg, "за 10 дн. после закрытия, до 11.12.2099 12:00."))
        assert tg_text(done[0]).startswith("Горячая линия №1 «Отопление»")
        async with app.services.db.read() as conn:
            stored = list(await conn.execute(select(hotlines.c.answer_days)))
        assert [tuple(r) for r in stored] == [(10,)], "the stranger's command was ignored"

        tg.user_message(MODERATOR, ADMIN_CHAT, text="/answer_days 1")
        await wait(lambda: said(tg, "за 10 дн. после закрытия, до 11.12.2099 12:00. Изменить"))
        tg.user_message(MODERATOR, ADMIN_CHAT, text="/answer_days один")
        await wait(lambda: said(tg, "/answer_days 3 10 (номера — в /hotlines)"))
        tg.user_message(MODERATOR, ADMIN_CHAT, text="/answer_days 7 3")
        await wait(lambda: said(tg, "Горячей линии №7 нет."))
        assert not said(tg, "Горячая линия №7"), "nothing was set on a hotline that is not there"
        await wait(lambda: len(tg.commands()) == 2)
    admin = next(cmds for scope, cmds in tg.commands().items() if "chat_id" in scope)
    assert "answer_days" in {c["command"] for c in admin}, "in the admin chat's / menu"


async def test_overdue_follows_the_days_set_in_the_chat(tmp_path: Path, tg: FakeTelegram) -> None:
    async with running(tmp_path, tg) as app:
        db = app.services.db
        hotline = await add_hotline(db, "Мусор", utcnow() - timedelta(days=5))
        question_id = await ask(db, hotline, QuestionStatus.NEW)
        tg.user_message(MODERATOR, ADMIN_CHAT, text="/overdue")
        await wait(lambda: said(tg, "Просроченных вопросов нет."))

        tg.user_message(MODERATOR, ADMIN_CHAT, text=f"/answer_days {hotline} 2")
        await wait(lambda: said(tg, "за 2 дн. после закрытия"))
        tg.user_message(MODERATOR, ADMIN_CHAT, text="/overdue")
        late = await wait(lambda: said(tg, "Просрочен срок ответа"))
        assert f"№{question_id} · «Мусор» · ждёт" in tg_text(late[0])
