"""A restart in the middle of a dialogue changes nothing: the state is in the database."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulators.telegram import FakeTelegram
from simulators.vk import FakeVK
from tests.harness import ADMIN_CHAT, MODERATOR
from tests.hotline_harness import (
    cards,
    containing,
    hotline_people,
    open_hotline,
    question_rows,
    running,
    tg_buttons,
    tg_consent,
    tg_text,
    vk_buttons,
    wait,
)

TG_CITIZEN = 7101
VK_CITIZEN = 300101


@pytest.fixture
def fakes(tg: FakeTelegram, vk: FakeVK) -> tuple[FakeTelegram, FakeVK]:
    """conftest's strict fakes (limits and teardown checks on) with the hotline's people."""
    return hotline_people(tg), vk


async def test_telegram_restart_between_question_and_choice(
    tmp_path: Path, fakes: tuple[FakeTelegram, FakeVK]
) -> None:
    tg, _vk = fakes
    async with running(tmp_path, tg) as app:
        await open_hotline(app, topic="Отопление")
        await open_hotline(app, topic="Дороги")
        await tg_consent(tg, TG_CITIZEN)
        tg.user_message(TG_CITIZEN, text="Когда починят мост?")
        choice = await wait(lambda: containing(tg.messages(TG_CITIZEN), "Выберите, на какую"))
    assert await question_rows_after(tmp_path) == []
    async with running(tmp_path, tg) as app:
        tg.callback(
            TG_CITIZEN, choice[0]["message_id"], TG_CITIZEN, tg_buttons(choice[0])["Дороги"]
        )
        await wait(lambda: containing(tg.messages(TG_CITIZEN), "Номер вопроса: №1"))
        card = (await wait(lambda: cards(tg)))[0]
        assert "Дороги" in tg_text(card)
        assert "Когда починят мост?" in tg_text(card)
    # ...and a moderator's reply after another restart still reaches the citizen.
    async with running(tmp_path, tg) as app:
        tg.user_message(
            MODERATOR, ADMIN_CHAT, text="Летом.", reply_to_message_id=card["message_id"]
        )
        await wait(lambda: containing(tg.messages(TG_CITIZEN), "Летом."))
        rows = await question_rows(app.services.db)
        assert rows[0]["status"] == "answered"


async def test_vk_restart_between_consent_prompt_and_answer(
    tmp_path: Path, fakes: tuple[FakeTelegram, FakeVK]
) -> None:
    tg, vk = fakes
    async with running(tmp_path, tg, vk) as app:
        await open_hotline(app, topic="Бюджет")
        vk.add_user(VK_CITIZEN, "Олег", "Сидоров")
        vk.user_message(VK_CITIZEN, "Начать", payload={"command": "start"})
        prompt = await wait(lambda: [m for m in vk.messages(VK_CITIZEN) if vk_buttons(m)])
    async with running(tmp_path, tg, vk) as app:
        vk.message_event(VK_CITIZEN, vk_buttons(prompt[0])["Согласен(на)"])
        await wait(lambda: [m for m in vk.messages(VK_CITIZEN) if "«Бюджет»" in m["message"]])
    async with running(tmp_path, tg, vk) as app:
        vk.user_message(VK_CITIZEN, "Сколько денег на школы?")
        await wait(lambda: [m for m in vk.messages(VK_CITIZEN) if "Номер вопроса" in m["message"]])
        rows = await question_rows(app.services.db)
        assert len(rows) == 1
        assert rows[0]["hotline_id"] == 1
        await wait(lambda: cards(tg))


async def question_rows_after(tmp_path: Path) -> list[object]:
    from shared.storage.engine import Database

    db = Database(f"sqlite+aiosqlite:///{tmp_path}/glashatai.db")
    try:
        return list(await question_rows(db))
    finally:
        await db.dispose()
