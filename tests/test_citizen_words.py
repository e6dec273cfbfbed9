"""Words a citizen types instead of pressing a button, as people actually type them
(«Да.», «удалить мои данные!»), and what a banned citizen's menu words are not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shared.storage import citizens
from shared.typed import said as normalised
from simulators.telegram import FakeTelegram
from simulators.vk import FakeVK
from tests.harness import ADMIN_CHAT, MODERATOR
from tests.hotline_harness import (
    cards,
    hotline_people,
    open_hotline,
    outbox_idle,
    question_rows,
    running,
    vk_consent,
    wait,
)

CITIZEN = 310201


@pytest.fixture
def fakes(tg: FakeTelegram, vk: FakeVK) -> tuple[FakeTelegram, FakeVK]:
    return hotline_people(tg), vk


def said(vk: FakeVK, needle: str) -> list[dict[str, Any]]:
    return [m for m in vk.messages(CITIZEN) if needle in m["message"]]


def test_what_a_message_says_ignores_case_yo_punctuation_and_spacing() -> None:
    assert normalised("  Да. ") == "да"
    assert normalised("Да, согласен!") == "да согласен"
    assert normalised("Удалить  мои данные…") == "удалить мои данные"
    assert normalised("«Согласна»") == "согласна"
    assert normalised("Всё верно?") == "все верно"
    assert normalised("Согласен(на)") == "согласен(на)"


@pytest.mark.parametrize("word", ["Да.", "да!", "Да, согласен", "согласна."])
async def test_consent_typed_with_punctuation_is_consent(
    tmp_path: Path, fakes: tuple[FakeTelegram, FakeVK], word: str
) -> None:
    tg, vk = fakes
    async with running(tmp_path, tg, vk) as app:
        await open_hotline(app)
        vk.add_user(CITIZEN, "Олег", "Сидоров")
        vk.user_message(CITIZEN, "Начать", payload={"command": "start"})
        await wait(lambda: said(vk, "152-ФЗ"))
        await wait(lambda: outbox_idle(app.services.db))
        vk.user_message(CITIZEN, word)
        await wait(lambda: said(vk, "Спасибо! Теперь"))
        assert await question_rows(app.services.db) == []


@pytest.mark.parametrize(
    "words", ["Удалить мои данные.", "Удалите мои данные", "удалить мои данные!"]
)
async def test_forget_typed_in_other_words_deletes_and_asks_nothing(
    tmp_path: Path, fakes: tuple[FakeTelegram, FakeVK], words: str
) -> None:
    """A privacy request carded with the citizen's name to moderators would be the
    opposite of what they asked."""
    tg, vk = fakes
    async with running(tmp_path, tg, vk) as app:
        await open_hotline(app)
        await vk_consent(vk, CITIZEN)
        vk.user_message(CITIZEN, words)
        await wait(lambda: said(vk, "Ваши данные удалены"))
        assert await question_rows(app.services.db) == []
        async with app.services.db.read() as conn:
            assert await citizens.find(conn, "vk", str(CITIZEN)) is None


async def test_a_banned_citizens_menu_words_are_not_questions(
    tmp_path: Path, fakes: tuple[FakeTelegram, FakeVK]
) -> None:
    """«Мои вопросы» still lists their questions; «Начать» and commands do nothing; a real
    question is kept out of sight under the open hotline, for an unban."""
    tg, vk = fakes
    async with running(tmp_path, tg, vk) as app:
        hotline = await open_hotline(app)
        await vk_consent(vk, CITIZEN)
        vk.user_message(CITIZEN, "Реклама: куплю гараж")
        await wait(lambda: said(vk, "Номер вопроса"))
        await wait(lambda: cards(tg))
        tg.user_message(MODERATOR, ADMIN_CHAT, text="/ban 1")
        await wait(lambda: [m for m in tg.messages(ADMIN_CHAT) if "заблокирован" in m["text"]])
        vk.user_message(CITIZEN, "Начать", payload={"command": "start"})
        vk.user_message(CITIZEN, "/start")
        vk.user_message(CITIZEN, "Продам гараж недорого")
        vk.user_message(CITIZEN, "Мои вопросы")
        await wait(lambda: said(vk, "Ваши вопросы"))
        rows = await question_rows(app.services.db)
        assert [(r["text"], r["status"], r["hotline_id"]) for r in rows] == [
            ("Реклама: куплю гараж", "new", hotline),  # asked before the ban
            ("Продам гараж недорого", "banned", hotline),
        ]
