"""Exploratory probes of the citizen's side on Telegram (real app against the strict fake)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bots.app import App
from shared.storage import citizens
from simulators.telegram import FakeTelegram
from tests.hotline_harness import (
    cards,
    containing,
    fast_overrides,
    handled_updates,
    hotline_people,
    open_hotline,
    outbox_idle,
    question_rows,
    running,
    tg_buttons,
    tg_consent,
    wait,
)

CITIZEN = 7001
BOT = "glashatai_test_bot"


@pytest.fixture
def tg(tg: FakeTelegram) -> FakeTelegram:
    return hotline_people(tg)


def default_throttle() -> dict[str, Any]:
    """The shipped throttle (5 messages a minute) instead of the harness's relaxed 100."""
    return fast_overrides(hotline={"throttle_messages": 5})


async def _citizen(app: App, user_id: int = CITIZEN) -> citizens.Citizen | None:
    async with app.services.db.read() as conn:
        return await citizens.find(conn, "telegram", str(user_id))


async def _photos_of_last(app: App, count: int, photos: int) -> list[dict[str, Any]] | None:
    rows = await question_rows(app.services.db)
    if len(rows) == count and len(rows[-1]["attachments"]) == photos:
        return rows
    return None


# --- commands with the bot's @username, odd casing ------------------------------------


async def test_forget_with_bot_username_deletes_the_data(tmp_path: Path, tg: FakeTelegram) -> None:
    """'/forget@bot' (what a tap on a command shown as '/forget@bot' sends) must withdraw."""
    async with running(tmp_path, tg) as app:
        await open_hotline(app)
        await tg_consent(tg, CITIZEN)
        tg.user_message(CITIZEN, text="Вопрос про тепло")
        await wait(lambda: containing(tg.messages(CITIZEN), "Номер вопроса"))
        with handled_updates() as handled:
            sent = [tg.user_message(CITIZEN, text=f"/forget@{BOT}")]
            await wait(lambda: handled.all(sent))
        await wait(lambda: outbox_idle(app.services.db))
        assert containing(tg.messages(CITIZEN), "Ваши данные удалены"), (
            "/forget@bot did not withdraw"
        )
        assert await _citizen(app) is None


async def test_my_with_bot_username_lists_questions(tmp_path: Path, tg: FakeTelegram) -> None:
    async with running(tmp_path, tg) as app:
        await open_hotline(app)
        await tg_consent(tg, CITIZEN)
        tg.user_message(CITIZEN, text="Вопрос про тепло")
        await wait(lambda: containing(tg.messages(CITIZEN), "Номер вопроса"))
        with handled_updates() as handled:
            sent = [tg.user_message(CITIZEN, text=f"/my@{BOT}")]
            await wait(lambda: handled.all(sent))
        await wait(lambda: outbox_idle(app.services.db))
        assert containing(tg.messages(CITIZEN), "Ваши вопросы"), "/my@bot did not list"


async def test_subscribe_with_bot_username_and_odd_case(tmp_path: Path, tg: FakeTelegram) -> None:
    async with running(tmp_path, tg) as app:
        await tg_consent(tg, CITIZEN)
        with handled_updates() as handled:
            sent = [tg.user_message(CITIZEN, text=f"/subscribe@{BOT}")]
            await wait(lambda: handled.all(sent))
        await wait(lambda: outbox_idle(app.services.db))
        assert len(containing(tg.messages(CITIZEN), "Оповещения от администрации")) == 1
        with handled_updates() as handled:
            sent = [tg.user_message(CITIZEN, text="/Subscribe")]
            await wait(lambda: handled.all(sent))
        await wait(lambda: outbox_idle(app.services.db))
        assert len(containing(tg.messages(CITIZEN), "Оповещения от администрации")) == 2, (
            "/Subscribe (capital S) greets instead of showing the menu"
        )


async def test_forget_odd_case_and_spaces(tmp_path: Path, tg: FakeTelegram) -> None:
    async with running(tmp_path, tg) as app:
        await tg_consent(tg, CITIZEN)
        with handled_updates() as handled:
            sent = [tg.user_message(CITIZEN, text="  УДАЛИТЬ   мои данные! ")]
            await wait(lambda: handled.all(sent))
        await wait(lambda: outbox_idle(app.services.db))
        # Informational: whether a near-miss phrasing withdraws.
        print("withdrawn:", bool(containing(tg.messages(CITIZEN), "Ваши данные удалены")))


# --- withdrawal as a way out of a ban ------------------------------------------------


async def test_banned_citizen_withdraws_and_comes_back_unbanned(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    """Hostile user: banned by the moderators, presses «Удалить мои данные», agrees again,
    and their questions are carded again."""
    from tests.harness import ADMIN_CHAT, MODERATOR

    async with running(tmp_path, tg) as app:
        await open_hotline(app)
        await tg_consent(tg, CITIZEN)
        tg.user_message(CITIZEN, text="Купите наши окна!")
        await wait(lambda: cards(tg))
        tg.user_message(MODERATOR, ADMIN_CHAT, text="/ban 1")
        await wait(lambda: containing(tg.messages(ADMIN_CHAT), "заблокирован"))
        tg.user_message(CITIZEN, text="Удалить мои данные")
        await wait(lambda: containing(tg.messages(CITIZEN), "Ваши данные удалены"))
        tg.user_message(CITIZEN, text="/start")
        prompt = await wait(
            lambda: [m for m in tg.messages(CITIZEN) if "Согласен(на)" in tg_buttons(m)][1:]
        )
        tg.callback(
            CITIZEN, prompt[-1]["message_id"], CITIZEN, tg_buttons(prompt[-1])["Согласен(на)"]
        )
        await wait(lambda: len(containing(tg.messages(CITIZEN), "Спасибо! Теперь")) == 2)
        tg.user_message(CITIZEN, text="Купите наши окна снова!")
        await wait(lambda: len(containing(tg.messages(CITIZEN), "Номер вопроса")) == 2)
        await wait(lambda: outbox_idle(app.services.db))
        rows = await question_rows(app.services.db)
        assert rows[-1]["status"] == "banned", "the ban did not survive a withdrawal"


async def test_sticker_and_whitespace_and_emoji(tmp_path: Path, tg: FakeTelegram) -> None:
    """Sticker → 'text only'; whitespace-only → greeting again; nothing stored for either."""
    async with running(tmp_path, tg) as app:
        await open_hotline(app)
        await tg_consent(tg, CITIZEN)
        with handled_updates() as handled:
            sent = [
                tg.user_message(CITIZEN, sticker=True),
                tg.user_message(CITIZEN, text="  \n\t "),
            ]
            await wait(lambda: handled.all(sent))
        await wait(lambda: containing(tg.messages(CITIZEN), "напишите вопрос текстом"))
        await wait(lambda: outbox_idle(app.services.db))
        assert await question_rows(app.services.db) == []
