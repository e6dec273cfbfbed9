"""A citizen's commands as Telegram's clients send them: with the bot's name after a menu
tap (``/forget@bot``), or typed with a capital letter."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.storage import citizens
from simulators.telegram import FakeTelegram
from tests.hotline_harness import (
    containing,
    hotline_people,
    open_hotline,
    running,
    tg_consent,
    wait,
)

CITIZEN = 7001
BOT = "glashatai_test_bot"  # the fake's bot, as its getMe says


@pytest.fixture
def tg(tg: FakeTelegram) -> FakeTelegram:
    """conftest's strict fake (limits and teardown checks on) with the hotline's people."""
    return hotline_people(tg)


async def test_my_and_forget_with_the_bots_name_do_what_they_say(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    async with running(tmp_path, tg) as app:
        await open_hotline(app)
        await tg_consent(tg, CITIZEN)
        tg.user_message(CITIZEN, text="Вопрос про тепло")
        await wait(lambda: containing(tg.messages(CITIZEN), "Номер вопроса"))
        tg.user_message(CITIZEN, text=f"/my@{BOT}")
        await wait(lambda: containing(tg.messages(CITIZEN), "Ваши вопросы"))
        tg.user_message(CITIZEN, text=f"/forget@{BOT}")
        await wait(lambda: containing(tg.messages(CITIZEN), "Ваши данные удалены"))
        async with app.services.db.read() as conn:
            assert await citizens.find(conn, "telegram", str(CITIZEN)) is None


async def test_subscribe_with_the_bots_name_or_a_capital_shows_the_menu(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    async with running(tmp_path, tg):
        await tg_consent(tg, CITIZEN)
        tg.user_message(CITIZEN, text=f"/subscribe@{BOT}")
        await wait(lambda: containing(tg.messages(CITIZEN), "Оповещения от администрации"))
        tg.user_message(CITIZEN, text="/Subscribe")
        await wait(
            lambda: len(containing(tg.messages(CITIZEN), "Оповещения от администрации")) == 2
        )
