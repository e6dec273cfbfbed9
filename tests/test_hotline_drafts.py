"""A question written while several hotlines are open waits for the citizen's choice (a
draft): the bot has told them «Ваш вопрос сохранён», so nothing that happens before the
choice may drop it — a greeting, the chosen hotline closing, another one closing. Every
one of them closing stores it: ``tests/test_hotline_drafts_closing.py``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shared.hotlines.drafts import close as close_hotline
from simulators.max import FakeMax
from simulators.telegram import FakeTelegram
from simulators.vk import FakeVK
from tests.hotline_harness import (
    hotline_people,
    open_hotline,
    outbox_idle,
    question_rows,
    running,
    vk_buttons,
    vk_consent,
    wait,
)
from tests.test_max_hotline import consent as max_consent
from tests.test_max_hotline import overrides as max_overrides
from tests.test_max_hotline import said as max_said

CITIZEN = 310101
MAX_CITIZEN = 700301
QUESTION = "Когда починят батарею в доме 5?"


@pytest.fixture
def fakes(tg: FakeTelegram, vk: FakeVK) -> tuple[FakeTelegram, FakeVK]:
    return hotline_people(tg), vk


def said(vk: FakeVK, needle: str) -> list[dict[str, Any]]:
    return [m for m in vk.messages(CITIZEN) if needle in m["message"]]


async def stored(app: Any) -> list[tuple[str, int | None]]:
    return [(r["text"], r["hotline_id"]) for r in await question_rows(app.services.db)]


async def drafted(vk: FakeVK) -> dict[str, Any]:
    """The citizen asks with two hotlines open: the prompt to choose, the draft kept."""
    await vk_consent(vk, CITIZEN)
    vk.user_message(CITIZEN, QUESTION)
    return (await wait(lambda: said(vk, "Ваш вопрос сохранён")))[-1]


async def test_a_greeting_keeps_the_draft_and_the_choice_after_it_takes_it(
    tmp_path: Path, fakes: tuple[FakeTelegram, FakeVK]
) -> None:
    tg, vk = fakes
    async with running(tmp_path, tg, vk) as app:
        first = await open_hotline(app, topic="Отопление")
        await open_hotline(app, topic="Дороги")
        await drafted(vk)
        vk.user_message(CITIZEN, "Здравствуйте!")
        await wait(lambda: len(said(vk, "Сейчас открыто несколько")) >= 2)
        vk.user_message(CITIZEN, "1")
        await wait(lambda: said(vk, "Номер вопроса"))
        assert await stored(app) == [(QUESTION, first)]
        assert said(vk, "Напишите свой вопрос на тему") == []


async def test_a_message_from_a_hotline_link_takes_the_waiting_draft_there_too(
    tmp_path: Path, fakes: tuple[FakeTelegram, FakeVK]
) -> None:
    """On VK a link's ``ref`` comes with the citizen's next message, not as a start: the
    question waiting for the choice goes to the link's hotline first, then the new one."""
    tg, vk = fakes
    async with running(tmp_path, tg, vk) as app:
        await open_hotline(app, topic="Отопление")
        roads = await open_hotline(app, topic="Дороги")
        await drafted(vk)
        vk.user_message(CITIZEN, "И ещё: когда починят?", ref=f"hotline_{roads}")
        await wait(lambda: len(said(vk, "Номер вопроса")) == 2)
        assert await stored(app) == [(QUESTION, roads), ("И ещё: когда починят?", roads)]


async def test_the_chosen_hotline_closed_asks_again_and_keeps_the_draft(
    tmp_path: Path, fakes: tuple[FakeTelegram, FakeVK]
) -> None:
    tg, vk = fakes
    async with running(tmp_path, tg, vk) as app:
        first = await open_hotline(app, topic="Отопление")
        second = await open_hotline(app, topic="Дороги")
        prompt = await drafted(vk)
        await close_hotline(app.services, "test", first)
        vk.message_event(
            CITIZEN,
            vk_buttons(prompt)["Отопление"],
            conversation_message_id=prompt["conversation_message_id"],
        )
        again = (await wait(lambda: said(vk, "уже закрылась")))[-1]
        assert "Ваш вопрос сохранён" in again["message"]
        assert set(vk_buttons(again)) == {"Дороги"}
        assert await stored(app) == []
        vk.message_event(
            CITIZEN,
            vk_buttons(again)["Дороги"],
            conversation_message_id=again["conversation_message_id"],
        )
        await wait(lambda: said(vk, "Номер вопроса"))
        assert await stored(app) == [(QUESTION, second)]


async def test_text_added_after_one_of_two_hotlines_closed_joins_the_draft(
    tmp_path: Path, fakes: tuple[FakeTelegram, FakeVK]
) -> None:
    tg, vk = fakes
    async with running(tmp_path, tg, vk) as app:
        first = await open_hotline(app, topic="Отопление")
        second = await open_hotline(app, topic="Дороги")
        await drafted(vk)
        await close_hotline(app.services, "test", first)
        vk.user_message(CITIZEN, "И ещё: в подъезде холодно.")
        await wait(lambda: said(vk, "Номер вопроса"))
        await wait(lambda: outbox_idle(app.services.db))
        assert await stored(app) == [(f"{QUESTION}\n\nИ ещё: в подъезде холодно.", second)]


async def test_max_start_pressed_again_keeps_the_draft(
    tmp_path: Path, tg: FakeTelegram, max: FakeMax
) -> None:
    hotline_people(tg)
    async with running(tmp_path, tg, overrides=max_overrides(max)) as app:
        first = await open_hotline(app, topic="Отопление")
        await open_hotline(app, topic="Дороги")
        await max_consent(max, MAX_CITIZEN)
        max.user_message(MAX_CITIZEN, QUESTION, first_name="Ольга")
        await wait(lambda: max_said(max, "Ваш вопрос сохранён", MAX_CITIZEN))
        max.bot_started(MAX_CITIZEN, first_name="Ольга", last_name="Смирнова")
        await wait(lambda: len(max_said(max, "Сейчас открыто несколько", MAX_CITIZEN)) >= 2)
        max.press(MAX_CITIZEN, "Отопление")
        await wait(lambda: max_said(max, "Номер вопроса", MAX_CITIZEN))
        assert await stored(app) == [(QUESTION, first)]
