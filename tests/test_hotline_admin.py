"""Creating a hotline from the admin chat: a short dialogue that survives a restart."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.hotlines import campaigns
from simulators.telegram import FakeTelegram
from tests.harness import ADMIN_CHAT, MODERATOR
from tests.hotline_harness import (
    STRANGER,
    card_recorded,
    cards,
    containing,
    hotline_people,
    open_hotline,
    running,
    tg_consent,
    tg_text,
    wait,
)

CITIZEN = 7001


@pytest.fixture
def tg(tg: FakeTelegram) -> FakeTelegram:
    """conftest's strict fake (limits and teardown checks on) with the hotline's people."""
    return hotline_people(tg)


def said(tg: FakeTelegram, needle: str) -> list[dict[str, object]]:
    return containing(tg.messages(ADMIN_CHAT), needle)


async def test_dialogue_across_a_restart(tmp_path: Path, tg: FakeTelegram) -> None:
    async with running(tmp_path, tg):
        tg.user_message(STRANGER, ADMIN_CHAT, text="/hotline")
        tg.user_message(MODERATOR, ADMIN_CHAT, text="/hotline")
        await wait(lambda: said(tg, "Напишите тему"))
        tg.user_message(MODERATOR, ADMIN_CHAT, text="Вывоз мусора")
        await wait(lambda: said(tg, "Коротко опишите"))
        tg.user_message(MODERATOR, ADMIN_CHAT, text="-")
        await wait(lambda: said(tg, "Когда начало?"))
        tg.user_message(MODERATOR, ADMIN_CHAT, text="вчера")
        await wait(lambda: said(tg, "не понимаю время"))
        tg.user_message(MODERATOR, ADMIN_CHAT, text="2099-12-01 10:00")
        await wait(lambda: said(tg, "Когда конец?"))
    async with running(tmp_path, tg) as app:
        tg.user_message(MODERATOR, ADMIN_CHAT, text="2099-12-01 12:00")
        created = await wait(lambda: said(tg, "создана"))
        assert "«Вывоз мусора» создана: с 01.12.2099 10:00 до 01.12.2099 12:00" in tg_text(
            created[0]
        )
        async with app.services.db.read() as conn:
            found = await campaigns.listing(conn)
        assert [(h.topic, h.description, h.created_by) for h in found] == [
            ("Вывоз мусора", "", f"tg:{MODERATOR}")
        ]
        assert len(said(tg, "Напишите тему")) == 1, "the stranger's /hotline was ignored"
        tg.user_message(MODERATOR, ADMIN_CHAT, text="/hotlines")
        listing = await wait(lambda: said(tg, "запланирована"))
        assert "№1 «Вывоз мусора»" in tg_text(listing[0])
        tg.user_message(MODERATOR, ADMIN_CHAT, text="/close_hotline 1")
        await wait(lambda: said(tg, "Горячая линия №1 «Вывоз мусора» закрыта"))
        await wait(lambda: said(tg, "Получено вопросов: 0"))
        # Plain chat afterwards is not taken for the dialogue.
        tg.user_message(MODERATOR, ADMIN_CHAT, text="Всем привет")
        tg.user_message(MODERATOR, ADMIN_CHAT, text="/hotline")
        await wait(lambda: len(said(tg, "Напишите тему")) == 2)
        tg.user_message(MODERATOR, ADMIN_CHAT, text="/cancel")
        await wait(lambda: said(tg, "отменено"))


async def say(tg: FakeTelegram, text: str, then: str, times: int = 1) -> None:
    """The moderator's message in the dialogue; returns once the bot has said ``then``
    (``times`` times in all: a question asked again)."""
    tg.user_message(MODERATOR, ADMIN_CHAT, text=text)
    await wait(lambda: len(said(tg, then)) >= times)


async def test_wrong_answers_are_asked_again_and_lose_nothing(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    async with running(tmp_path, tg) as app:
        await say(tg, "/hotline", "Напишите тему")
        await say(tg, "   ", "Напишите тему", times=2)
        # Refused when given, not after the dates: the moderator can still mend it.
        await say(tg, "Д" * (campaigns.TOPIC_LIMIT + 1), "тема длиннее 200 знаков")
        await say(tg, "Отопление", "Коротко опишите")
        await say(tg, "Сроки подачи тепла", "Когда начало?")
        await say(tg, "2099-13-01 10:00", "не понимаю время «2099-13-01 10:00»")
        await say(tg, "2099-12-01 10:00", "Когда конец?")
        await say(tg, "2099-12-01 09:00", "конец должен быть позже начала")
        async with app.services.db.read() as conn:
            assert await campaigns.listing(conn) == [], "nothing is created from a wrong answer"
        await say(tg, "2099-12-01 12:00", "создана")
        async with app.services.db.read() as conn:
            found = await campaigns.listing(conn)
        assert [(h.topic, h.description) for h in found] == [("Отопление", "Сроки подачи тепла")]
        assert len(said(tg, "Коротко опишите")) == 1, "a refused topic moves nothing"
        assert len(said(tg, "Когда конец?")) == 1, "a refused date moves nothing"


@pytest.mark.parametrize("dialogue", ["/hotline", "/alert"])
async def test_a_reply_to_a_card_answers_the_citizen_mid_dialogue(
    tmp_path: Path, tg: FakeTelegram, dialogue: str
) -> None:
    """A moderator halfway through a dialogue still answers a question by replying to its
    card: the answer goes to the citizen, not into the dialogue."""
    async with running(tmp_path, tg) as app:
        await open_hotline(app)
        await tg_consent(tg, CITIZEN)
        tg.user_message(CITIZEN, text="Когда дадут тепло?")
        card = (await wait(lambda: cards(tg)))[0]
        await wait(lambda: card_recorded(app, card["message_id"]))
        first = "Напишите тему" if dialogue == "/hotline" else "Выберите тему"
        await say(tg, dialogue, first)
        tg.user_message(
            MODERATOR, ADMIN_CHAT, text="Завтра к 10 утра.", reply_to_message_id=card["message_id"]
        )
        await wait(lambda: containing(tg.messages(CITIZEN), "Завтра к 10 утра."))
        assert not said(tg, "Коротко опишите"), "the hotline dialogue did not take it"
        assert not said(tg, "Темы «"), "the alert dialogue did not take it"
        # The dialogue stands where it was: the next plain message answers it.
        answer, then = (
            ("Вывоз мусора", "Коротко опишите")
            if dialogue == "/hotline"
            else ("1", "Напишите текст")
        )
        await say(tg, answer, then)
        await say(tg, "/cancel", "отмен")


async def test_figures_add_up_with_a_banned_author(tmp_path: Path, tg: FakeTelegram) -> None:
    """A banned citizen's questions are kept out of sight: «получено» counts the questions
    the moderators have (answered + rejected + waiting), in /stats and in the summary."""
    async with running(tmp_path, tg) as app:
        hotline_id = await open_hotline(app)
        await tg_consent(tg, CITIZEN)
        await tg_consent(tg, CITIZEN + 1, "Борис")
        tg.user_message(CITIZEN, text="Когда дадут тепло?")
        tg.user_message(CITIZEN + 1, text="Реклама окон")
        await wait(lambda: len(cards(tg)) == 2)
        tg.user_message(MODERATOR, ADMIN_CHAT, text="/ban 2")
        await wait(lambda: said(tg, "Автор вопроса №2 заблокирован"))
        tg.user_message(CITIZEN + 1, text="Ещё реклама")

        async def kept() -> bool:
            async with app.services.db.read() as conn:
                return (await campaigns.tally(conn, hotline_id)).banned == 1

        await wait(kept)
        tg.user_message(MODERATOR, ADMIN_CHAT, text="/stats")
        stats = tg_text((await wait(lambda: said(tg, "«Отопление»: получено")))[-1])
        assert "«Отопление»: получено 2, отвечено 0, отклонено 0, ждут 2." in stats
        tg.user_message(MODERATOR, ADMIN_CHAT, text=f"/close_hotline {hotline_id}")
        summary = tg_text((await wait(lambda: said(tg, "Получено вопросов:")))[-1])
        assert "Получено вопросов: 2\nОтвечено: 0\nОтклонено: 0\nЖдут ответа: 2" in summary
