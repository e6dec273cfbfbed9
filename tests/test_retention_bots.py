"""«Удалить мои данные» on each platform, end to end through the real clients and the fakes:
the citizen is told, their cards lose their name, their alert subscription ends, and no
table keeps their name or ids or a row about them beyond the anonymised questions and the
emptied sends — a send whose call was out at that moment included, once the next retention
run has come. And the retention job as the bots live it: a citizen who only consented is
forgotten after the period, one drafting a question keeps it when an old hotline retires."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import update

from bots.app import App
from shared.clock import utcnow
from shared.hotlines.drafts import close as close_hotline
from shared.hotlines.retention import RetentionPlanner
from shared.storage import citizens
from shared.storage.engine import Database
from shared.storage.schema import hotlines
from simulators.telegram import FakeTelegram
from simulators.vk import FakeVK
from tests.harness import ADMIN_CHAT, MODERATOR
from tests.hotline_harness import (
    card_for,
    cards,
    containing,
    fast_overrides,
    open_hotline,
    outbox_idle,
    outbox_rows,
    question_rows,
    running,
    tg_buttons,
    tg_consent,
    tg_text,
    vk_buttons,
    vk_consent,
    wait,
)
from tests.test_alerts_telegram import EMERGENCY, _menu
from tests.test_retention import assert_erased, assert_nobody, everything, leftovers_owed

TG_CITIZEN = 812345678
VK_CITIZEN = 390123457
DONE = "Ваши данные удалены"


async def forgotten_rows(db: Database) -> bool:
    """The confirmation went out and its row no longer says where."""
    rows = await outbox_rows(db, ref_type="forgotten")
    return bool(rows) and all(r["destination"] == "" for r in rows)


async def test_telegram_citizen_withdraws(tmp_path: Path, tg: FakeTelegram) -> None:
    async with running(tmp_path, tg) as app:
        db = app.services.db
        await open_hotline(app)
        await tg_consent(tg, TG_CITIZEN, name="Евлампия")
        greeting = containing(tg.messages(TG_CITIZEN), "Спасибо! Теперь")[-1]
        assert "Удалить мои данные" in tg_buttons(greeting)
        tg.user_message(TG_CITIZEN, text="Когда дадут тепло?")
        first = (await wait(lambda: cards(tg)))[0]
        tg.user_message(
            MODERATOR, ADMIN_CHAT, text="В пятницу.", reply_to_message_id=first["message_id"]
        )
        await wait(lambda: containing(tg.messages(TG_CITIZEN), "В пятницу."))
        tg.user_message(TG_CITIZEN, text="И горячей воды нет")
        await wait(lambda: len(cards(tg)) >= 2)
        assert "Евлампия" in await everything(db)
        tg.user_message(TG_CITIZEN, text="/subscribe")
        menu = (await wait(lambda: _menu(tg, TG_CITIZEN)))[-1]
        tg.callback(TG_CITIZEN, menu["message_id"], TG_CITIZEN, tg_buttons(menu)[EMERGENCY])
        await wait(lambda: containing(tg.messages(TG_CITIZEN), "Вы подписались"))
        async with db.read() as conn:
            citizen = await citizens.find(conn, "telegram", str(TG_CITIZEN))
        assert citizen is not None

        tg.user_message(TG_CITIZEN, text="/forget")
        await wait(lambda: containing(tg.messages(TG_CITIZEN), DONE))
        await wait(lambda: outbox_idle(db))
        await wait(lambda: forgotten_rows(db))
        for ticket in (1, 2):
            card = card_for(tg, ticket)
            assert card is not None
            assert "Евлампия" not in tg_text(card)
        assert "Удалён по просьбе автора" in tg_text(card_for(tg, 2) or {})
        await assert_erased(db, citizen, "Евлампия", "Иванова", str(TG_CITIZEN))


async def test_vk_citizen_withdraws_with_the_menu_button(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    async with running(tmp_path, tg, vk) as app:
        db = app.services.db
        await open_hotline(app)
        await vk_consent(vk, VK_CITIZEN, first="Евлампия")
        vk.user_message(VK_CITIZEN, "Где горячая вода?", first_name="Евлампия")
        await wait(lambda: cards(tg))
        async with db.read() as conn:
            citizen = await citizens.find(conn, "vk", str(VK_CITIZEN))
        assert citizen is not None
        menu = [m for m in vk.messages(VK_CITIZEN) if "Удалить мои данные" in vk_buttons(m)]
        vk.message_event(VK_CITIZEN, vk_buttons(menu[-1])["Удалить мои данные"])
        await wait(lambda: [m for m in vk.messages(VK_CITIZEN) if DONE in m["message"]])
        await wait(lambda: outbox_idle(db))
        await wait(lambda: forgotten_rows(db))
        await assert_erased(db, citizen, "Евлампия", "Сидоров", str(VK_CITIZEN))


async def test_withdrawal_typed_while_silenced_by_the_throttle_still_deletes(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    """A citizen who wrote too fast and was told to wait asks to delete their data: the
    throttle holds their messages, never the withdrawal of their consent."""
    overrides = fast_overrides(hotline={"throttle_messages": 5})
    async with running(tmp_path, tg, overrides=overrides) as app:
        db = app.services.db
        await open_hotline(app)
        await tg_consent(tg, TG_CITIZEN, name="Евлампия")
        async with db.read() as conn:
            citizen = await citizens.find(conn, "telegram", str(TG_CITIZEN))
        assert citizen is not None
        for n in range(6):
            tg.user_message(TG_CITIZEN, text=f"Вопрос {n}")
        await wait(lambda: containing(tg.messages(TG_CITIZEN), "слишком часто"))

        tg.user_message(TG_CITIZEN, text="Удалить мои данные")
        await wait(lambda: containing(tg.messages(TG_CITIZEN), DONE))
        await wait(lambda: outbox_idle(db))
        await wait(lambda: forgotten_rows(db))
        await assert_erased(db, citizen, "Евлампия", "Иванова", str(TG_CITIZEN))


async def next_retention_run(app: App) -> None:
    """What the scheduler does at its next sync (every ``SYNC_SECONDS``)."""
    await RetentionPlanner(app.services).run_due(utcnow())


async def test_a_card_edit_out_at_the_withdrawal_is_emptied_by_the_next_run(
    tmp_path: Path,
    tg: FakeTelegram,
    database_url: str,
) -> None:
    """The card's edit (the citizen's name, the question's text) has its call out, held by
    Telegram, when the citizen withdraws: it finishes as it was, and the next retention run
    empties it; the card itself ends up showing neither."""
    phone = "+79991234567"
    overrides = fast_overrides(database={"url": database_url})
    async with running(tmp_path, tg, overrides=overrides) as app:
        db = app.services.db
        await open_hotline(app)
        await tg_consent(tg, TG_CITIZEN, name="Евлампия")
        async with db.read() as conn:
            citizen = await citizens.find(conn, "telegram", str(TG_CITIZEN))
        assert citizen is not None
        tg.user_message(TG_CITIZEN, text=f"Холодно, дом 5, звоните {phone}")
        card = (await wait(lambda: cards(tg)))[0]
        await wait(lambda: outbox_idle(db))
        edits = len(tg.requests("editMessageText"))
        # «Взять» edits the card; Telegram takes the edit and answers it 3 s later.
        tg.fail("editMessageText", "timeout_after_accept", delay=3.0)
        tg.callback(MODERATOR, card["message_id"], ADMIN_CHAT, tg_buttons(card)["Взять"])
        await wait(lambda: len(tg.requests("editMessageText")) > edits)
        tg.user_message(TG_CITIZEN, text="Удалить мои данные")
        await wait(lambda: containing(tg.messages(TG_CITIZEN), DONE), timeout=15)
        await wait(lambda: outbox_idle(db), timeout=15)
        await wait(lambda: forgotten_rows(db))
        assert await leftovers_owed(db)  # the withdrawal found the edit out
        assert "Евлампия" in await everything(db)
        await next_retention_run(app)
        await assert_erased(db, citizen, "Евлампия", phone, str(TG_CITIZEN))
        assert not await leftovers_owed(db)
        shown = tg_text(tg.message(ADMIN_CHAT, card["message_id"]) or {})
        assert "Удалён по просьбе автора" in shown
        assert "Евлампия" not in shown


async def test_withdrawal_after_an_answer_on_both_engines(
    tmp_path: Path,
    tg: FakeTelegram,
    vk: FakeVK,
    database_url: str,
) -> None:
    """Withdrawal right after an answer was delivered: the card's edit that shows the
    delivery may still be out then; by the next retention run nothing names either
    citizen (QA saw that edit keep the name, 2 runs in 4, on each engine)."""
    overrides = fast_overrides(database={"url": database_url})
    async with running(tmp_path, tg, vk, overrides=overrides) as app:
        db = app.services.db
        await open_hotline(app)
        await tg_consent(tg, TG_CITIZEN, name="Евлампия")
        await vk_consent(vk, VK_CITIZEN, first="Агриппина")
        tg.user_message(TG_CITIZEN, text="Когда дадут тепло? мой телефон +79991234567")
        vk.user_message(VK_CITIZEN, "Где горячая вода?", first_name="Агриппина")
        await wait(lambda: len(cards(tg)) >= 2)
        # The Telegram citizen's card, whichever of the two questions came first.
        [first] = containing(cards(tg), "Когда дадут тепло?")
        tg.user_message(
            MODERATOR, ADMIN_CHAT, text="В пятницу.", reply_to_message_id=first["message_id"]
        )
        await wait(lambda: containing(tg.messages(TG_CITIZEN), "В пятницу."))
        async with db.read() as conn:
            on_tg = await citizens.find(conn, "telegram", str(TG_CITIZEN))
            on_vk = await citizens.find(conn, "vk", str(VK_CITIZEN))
        assert on_tg is not None
        assert on_vk is not None
        tg.user_message(TG_CITIZEN, text="Удалить мои данные")
        vk.user_message(VK_CITIZEN, "удалите мои данные!")
        await wait(lambda: containing(tg.messages(TG_CITIZEN), DONE))
        await wait(lambda: [m for m in vk.messages(VK_CITIZEN) if DONE in m["message"]])
        await wait(lambda: outbox_idle(db))
        await wait(lambda: forgotten_rows(db))
        await next_retention_run(app)
        # The answered question stays, anonymised (its text too): only who asked goes.
        await assert_erased(db, on_tg, "Евлампия", str(TG_CITIZEN))
        await assert_erased(db, on_vk, "Агриппина", "Где горячая вода?", str(VK_CITIZEN))


async def test_a_citizen_who_only_consented_is_forgotten_after_the_period(
    tmp_path: Path,
    tg: FakeTelegram,
    database_url: str,
) -> None:
    """Consented while a hotline was open, never asked: no hotline's retirement reaches
    them, the daily sweep forgets them ``RETENTION_DAYS`` after they last wrote."""
    overrides = fast_overrides(database={"url": database_url})
    async with running(tmp_path, tg, overrides=overrides) as app:
        db = app.services.db
        hotline = await open_hotline(app)
        await tg_consent(tg, TG_CITIZEN, name="Евлампия")
        async with db.read() as conn:
            citizen = await citizens.find(conn, "telegram", str(TG_CITIZEN))
        assert citizen is not None
        await close_hotline(app.services, "test", hotline)
        await wait(lambda: outbox_idle(db))
        planner = RetentionPlanner(app.services)
        await planner.run_due(utcnow() + timedelta(days=29))
        assert "Евлампия" in await everything(db)
        await planner.run_due(utcnow() + timedelta(days=31))
        await assert_erased(db, citizen, "Евлампия", str(TG_CITIZEN))


def vk_said(vk: FakeVK, user_id: int, needle: str) -> list[dict[str, Any]]:
    return [m for m in vk.messages(user_id) if needle in m["message"]]


async def test_a_draft_survives_the_retirement_of_an_old_hotline(
    tmp_path: Path,
    tg: FakeTelegram,
    vk: FakeVK,
    database_url: str,
) -> None:
    """The retention of a hotline that closed long ago runs while its citizen is choosing
    the hotline (of two open now) for a new question: the draft and the conversation are
    kept, and the pick stores the question."""
    old_question, new_question = "Когда дадут тепло?", "Когда починят дорогу на Ленина?"
    overrides = fast_overrides(database={"url": database_url})
    async with running(tmp_path, tg, vk, overrides=overrides) as app:
        db = app.services.db
        old = await open_hotline(app, topic="Отопление")
        await vk_consent(vk, VK_CITIZEN)
        vk.user_message(VK_CITIZEN, old_question)
        await wait(lambda: vk_said(vk, VK_CITIZEN, "Номер вопроса"))
        await close_hotline(app.services, "test", old)
        await open_hotline(app, topic="Дороги")
        await open_hotline(app, topic="Транспорт")
        vk.user_message(VK_CITIZEN, new_question)
        prompt = (await wait(lambda: vk_said(vk, VK_CITIZEN, "Ваш вопрос сохранён")))[-1]
        long_ago = utcnow() - timedelta(days=40)
        async with db.write() as conn:
            await conn.execute(
                update(hotlines)
                .where(hotlines.c.id == old)
                .values(starts_at=long_ago - timedelta(hours=2), ends_at=long_ago)
            )
        await next_retention_run(app)  # the old hotline's personal data goes
        await wait(lambda: outbox_idle(db))
        vk.message_event(
            VK_CITIZEN,
            vk_buttons(prompt)["Дороги"],
            conversation_message_id=prompt["conversation_message_id"],
        )
        await wait(lambda: vk_said(vk, VK_CITIZEN, "Номер вопроса")[1:])
        texts = [r["text"] for r in await question_rows(db)]
        assert texts == [old_question, new_question]
        await assert_nobody(db, "Олег")  # the old hotline's retirement took the name
