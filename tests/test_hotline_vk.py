"""Hotlines end to end with citizens on VK (Bots Long Poll, keyboards) and moderators in
the Telegram admin chat: the real app against both fakes."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from shared.domain import OutboxState
from shared.storage import audit, citizens
from simulators.telegram import FakeTelegram, make_png
from simulators.vk import FakeVK
from tests.harness import ADMIN_CHAT, MODERATOR
from tests.hotline_harness import (
    HOSTILE,
    MODERATOR_2,
    STRANGER,
    card_recorded,
    cards,
    containing,
    fast_overrides,
    hotline_people,
    open_hotline,
    outbox_idle,
    outbox_rows,
    question_rows,
    running,
    tg_buttons,
    tg_text,
    vk_buttons,
    vk_consent,
    wait,
)

CITIZEN = 300001
OTHER = 300002


@pytest.fixture
def fakes(tg: FakeTelegram, vk: FakeVK) -> tuple[FakeTelegram, FakeVK]:
    """conftest's strict fakes (limits and teardown checks on) with the hotline's people."""
    return hotline_people(tg), vk


def said(vk: FakeVK, needle: str, peer: int = CITIZEN) -> list[dict[str, Any]]:
    return [m for m in vk.messages(peer) if needle in m["message"]]


async def test_whole_loop_with_photo_exactly_once(
    tmp_path: Path, fakes: tuple[FakeTelegram, FakeVK]
) -> None:
    tg, vk = fakes
    async with running(tmp_path, tg, vk) as app:
        await open_hotline(app)
        await vk_consent(vk, CITIZEN)
        assert said(vk, "Горячая линия «Отопление»")
        assert vk.event_answers(), "the button press was acknowledged"
        vk.user_message(CITIZEN, "Где яма?", attachments=[("photo", make_png())])
        await wait(lambda: said(vk, "Номер вопроса: №1"))
        card = await wait(lambda: [m for m in tg.messages(ADMIN_CHAT) if m.get("photo")])
        text = tg_text(card[0])
        assert "ВКонтакте" in text
        assert "Олег" in text
        assert "Сидоров" not in text
        rows = await question_rows(app.services.db)
        assert len(rows[0]["attachments"]) == 1
        tg.user_message(
            MODERATOR,
            ADMIN_CHAT,
            text="Засыплем завтра.",
            reply_to_message_id=card[0]["message_id"],
        )
        answer = await wait(lambda: said(vk, "Засыплем завтра."))
        assert "Ответ на ваш вопрос №1" in answer[0]["message"]
        await wait(
            lambda: "Доставлено." in tg_text(tg.message(ADMIN_CHAT, card[0]["message_id"]) or {})
        )
        assert len(said(vk, "Засыплем завтра.")) == 1
        vk.user_message(CITIZEN, "Мои вопросы")
        mine = await wait(lambda: said(vk, "Ваши вопросы"))
        assert "№1 — есть ответ" in mine[0]["message"]


async def test_consent_refused(tmp_path: Path, fakes: tuple[FakeTelegram, FakeVK]) -> None:
    tg, vk = fakes
    async with running(tmp_path, tg, vk) as app:
        await open_hotline(app)
        vk.add_user(CITIZEN, "Олег", "Сидоров")
        vk.user_message(CITIZEN, "Начать", payload={"command": "start"})
        prompt = await wait(lambda: [m for m in vk.messages(CITIZEN) if vk_buttons(m)])
        assert "152-ФЗ" in prompt[0]["message"]
        vk.message_event(CITIZEN, vk_buttons(prompt[0])["Не согласен(на)"])
        await wait(lambda: said(vk, "Без вашего согласия"))
        vk.user_message(CITIZEN, "Вопрос с моим адресом")
        await wait(lambda: len(said(vk, "Без вашего согласия")) >= 2)
        assert await question_rows(app.services.db) == []
        async with app.services.db.read() as conn:
            citizen = await citizens.find(conn, "vk", str(CITIZEN))
        assert citizen is not None
        assert citizen.display_name is None
        assert not vk.calls("users.get"), "no personal data fetched without consent"
        # Changing one's mind by text works too.
        vk.user_message(CITIZEN, "да")
        await wait(lambda: said(vk, "Спасибо! Теперь"))


async def test_reject_first_answer_wins_and_outsiders(
    tmp_path: Path, fakes: tuple[FakeTelegram, FakeVK]
) -> None:
    tg, vk = fakes
    overrides = fast_overrides(telegram={"moderator_ids": [MODERATOR, MODERATOR_2]})
    async with running(tmp_path, tg, vk, overrides=overrides) as app:
        await open_hotline(app)
        await vk_consent(vk, CITIZEN)
        vk.user_message(CITIZEN, "Первый вопрос")
        vk.user_message(CITIZEN, "Второй вопрос")
        both = await wait(lambda: len(cards(tg)) == 2 and cards(tg))
        first, second = both
        for card in both:
            await wait(lambda c=card: card_recorded(app, c["message_id"]))
        # Forged and foreign presses change nothing.
        vk.message_event(CITIZEN, {"t": "forged-token"})
        tg.callback(STRANGER, first["message_id"], ADMIN_CHAT, tg_buttons(first)["Взять"])
        tg.user_message(STRANGER, ADMIN_CHAT, text="Чужой", reply_to_message_id=first["message_id"])
        # Reject the second with a reason.
        tg.callback(MODERATOR, second["message_id"], ADMIN_CHAT, tg_buttons(second)["Отклонить"])
        menu = await wait(
            lambda: (
                (m := tg.message(ADMIN_CHAT, second["message_id"]))
                and "Повтор" in tg_buttons(m)
                and m
            )
        )
        tg.callback(MODERATOR, second["message_id"], ADMIN_CHAT, tg_buttons(menu)["Повтор"])
        await wait(lambda: said(vk, "К сожалению"))
        # Two moderators answer the first.
        tg.user_message(
            MODERATOR_2, ADMIN_CHAT, text="Ответ Петра", reply_to_message_id=first["message_id"]
        )
        await wait(lambda: said(vk, "Ответ Петра"))
        tg.user_message(
            MODERATOR, ADMIN_CHAT, text="Ответ Марии", reply_to_message_id=first["message_id"]
        )
        await wait(lambda: containing(tg.messages(ADMIN_CHAT), "уже ответил(а) Пётр"))
        assert not said(vk, "Ответ Марии")
        assert not said(vk, "Чужой")
        rows = await question_rows(app.services.db)
        assert [r["status"] for r in rows] == ["answered", "rejected"]
        assert rows[0]["assigned_to"] == MODERATOR_2

        async def denied() -> list[dict[str, Any]] | None:
            async with app.services.db.read() as conn:
                found = [e for e in await audit.entries(conn) if e["action"] == "denied"]
            return found if len(found) >= 2 else None

        assert await wait(denied)
        assert len(vk.event_answers()) >= 2, "the forged press is acknowledged, nothing more"


async def test_throttling_and_text_only(tmp_path: Path, fakes: tuple[FakeTelegram, FakeVK]) -> None:
    tg, vk = fakes
    overrides = fast_overrides(hotline={"throttle_messages": 4})
    async with running(tmp_path, tg, vk, overrides=overrides) as app:
        await open_hotline(app)
        await vk_consent(vk, CITIZEN)
        vk.user_message(CITIZEN, "", attachments=[("audio_message",)])
        vk.user_message(CITIZEN, "", attachments=[("sticker",)])
        await wait(lambda: len(said(vk, "напишите вопрос текстом")) == 2)
        for n in range(6):
            vk.user_message(CITIZEN, f"Вопрос {n}")
        # The app handles VK events one after another: once another citizen's later
        # message is answered, the flood has been handled, and once the outbox is idle,
        # everything it caused has been delivered.
        vk.add_user(OTHER, "Ирина", "Смирнова")
        vk.user_message(OTHER, "Начать", payload={"command": "start"})
        await wait(lambda: said(vk, "", peer=OTHER))
        await wait(lambda: outbox_idle(app.services.db))
        assert len(said(vk, "слишком часто")) == 1
        assert len(await question_rows(app.services.db)) == 1


async def test_hostile_text_literally(tmp_path: Path, fakes: tuple[FakeTelegram, FakeVK]) -> None:
    tg, vk = fakes
    async with running(tmp_path, tg, vk) as app:
        await open_hotline(app, topic="Дороги & <b>мосты</b>")
        await vk_consent(vk, CITIZEN, first="<i>Олег</i>&")
        vk.user_message(CITIZEN, HOSTILE)
        card = (await wait(lambda: cards(tg)))[0]
        assert HOSTILE.strip() in tg_text(card)
        assert "<i>Олег</i>&" in tg_text(card)
        assert "Дороги & <b>мосты</b>" in tg_text(card)
        tg.user_message(MODERATOR, ADMIN_CHAT, text=HOSTILE, reply_to_message_id=card["message_id"])
        answer = await wait(lambda: said(vk, "Ответ на ваш вопрос"))
        assert HOSTILE.strip() in answer[0]["message"]
        vk.user_message(CITIZEN, "Мои вопросы")
        mine = await wait(lambda: said(vk, "Ваши вопросы"))
        assert "<b>жирный</b>" in mine[0]["message"]
        assert said(vk, "Дороги & <b>мосты</b>")


async def test_unreachable_vk_citizen(tmp_path: Path, fakes: tuple[FakeTelegram, FakeVK]) -> None:
    tg, vk = fakes
    async with running(tmp_path, tg, vk) as app:
        await open_hotline(app)
        await vk_consent(vk, CITIZEN)
        vk.user_message(CITIZEN, "Вопрос")
        card = (await wait(lambda: cards(tg)))[0]
        await wait(lambda: said(vk, "Номер вопроса"))
        vk.block_messages(CITIZEN)
        tg.user_message(MODERATOR, ADMIN_CHAT, text="Ответ", reply_to_message_id=card["message_id"])
        edited = await wait(
            lambda: (
                (m := tg.message(ADMIN_CHAT, card["message_id"]))
                and "Не доставлено: житель заблокировал бота" in tg_text(m)
                and m
            )
        )
        assert edited
        rows = await outbox_rows(app.services.db, ref_type="answer")
        assert rows[0]["state"] == OutboxState.FAILED.value


async def test_choosing_a_hotline_by_number(
    tmp_path: Path, fakes: tuple[FakeTelegram, FakeVK]
) -> None:
    tg, vk = fakes
    async with running(tmp_path, tg, vk) as app:
        await open_hotline(app, topic="Отопление")
        await open_hotline(app, topic="Дороги")
        await vk_consent(vk, CITIZEN)
        assert said(vk, "2. Горячая линия «Дороги»")
        vk.user_message(CITIZEN, "Когда починят дорогу?")
        await wait(lambda: said(vk, "Выберите, на какую"))
        vk.user_message(CITIZEN, "2")
        await wait(lambda: said(vk, "Номер вопроса: №1"))
        rows = await question_rows(app.services.db)
        assert [(r["hotline_id"], r["text"]) for r in rows] == [(2, "Когда починят дорогу?")]
        card = (await wait(lambda: cards(tg)))[0]
        assert "Дороги" in tg_text(card)


def _again(vk: FakeVK, message: dict[str, Any]) -> None:
    """The long poll delivers ``message_new`` for this very message again (a replay)."""
    vk.push_event("message_new", {"message": copy.deepcopy(message), "client_info": {}})


async def test_a_message_delivered_twice_is_one_question_one_ticket_one_card(
    tmp_path: Path, fakes: tuple[FakeTelegram, FakeVK]
) -> None:
    tg, vk = fakes
    async with running(tmp_path, tg, vk) as app:
        await open_hotline(app)
        await vk_consent(vk, CITIZEN)
        message = vk.user_message(CITIZEN, "Когда починят лифт?", first_name="Олег")
        await wait(lambda: said(vk, "Номер вопроса"))
        _again(vk, message)
        vk.user_message(CITIZEN, "Мои вопросы", first_name="Олег")
        await wait(lambda: said(vk, "Ваши вопросы"))
        await wait(lambda: outbox_idle(app.services.db))
        rows = await question_rows(app.services.db)
        assert [r["text"] for r in rows] == ["Когда починят лифт?"]
        assert len(said(vk, "Номер вопроса")) == 1
        assert len(cards(tg)) == 1


async def test_a_choice_by_number_delivered_twice_is_no_question_of_its_own(
    tmp_path: Path, fakes: tuple[FakeTelegram, FakeVK]
) -> None:
    tg, vk = fakes
    async with running(tmp_path, tg, vk) as app:
        await open_hotline(app, topic="Отопление")
        await open_hotline(app, topic="Дороги")
        await vk_consent(vk, CITIZEN)
        vk.user_message(CITIZEN, "Когда починят дорогу?")
        await wait(lambda: said(vk, "Выберите, на какую"))
        choice = vk.user_message(CITIZEN, "2")
        await wait(lambda: said(vk, "Номер вопроса: №1"))
        _again(vk, choice)
        vk.user_message(CITIZEN, "Мои вопросы")
        await wait(lambda: said(vk, "Ваши вопросы"))
        await wait(lambda: outbox_idle(app.services.db))
        rows = await question_rows(app.services.db)
        assert [(r["hotline_id"], r["text"]) for r in rows] == [(2, "Когда починят дорогу?")]


def keyboard_rows(message: dict[str, Any]) -> list[list[str]]:
    """The labels of a VK message's keyboard, row by row."""
    keyboard = message.get("keyboard") or {}
    return [[b["action"]["label"] for b in row] for row in keyboard.get("buttons", [])]


async def test_six_open_hotlines_the_greeting_fits_vk_keyboard(
    tmp_path: Path, fakes: tuple[FakeTelegram, FakeVK]
) -> None:
    """VK takes at most 6 rows in an inline keyboard: six hotlines and the footer row are
    packed two to a row, none left out."""
    tg, vk = fakes
    async with running(tmp_path, tg, vk) as app:
        for n in range(1, 7):
            await open_hotline(app, topic=f"Тема {n}")
        await vk_consent(vk, CITIZEN)
        greeting = said(vk, "Спасибо! Теперь")[-1]
        rows = keyboard_rows(greeting)
        assert len(rows) <= 6
        assert rows[-1] == ["Мои вопросы", "Удалить мои данные"]
        assert [label for row in rows[:-1] for label in row] == [f"Тема {n}" for n in range(1, 7)]
        vk.message_event(
            CITIZEN,
            vk_buttons(greeting)["Тема 6"],
            conversation_message_id=greeting["conversation_message_id"],
        )
        await wait(lambda: said(vk, "Напишите свой вопрос на тему «Тема 6»"))


async def test_more_open_hotlines_than_vk_buttons_are_chosen_by_number(
    tmp_path: Path, fakes: tuple[FakeTelegram, FakeVK]
) -> None:
    """VK takes at most 10 buttons: the greeting keeps the footer and the first eight
    hotlines, the draft's prompt (no footer) the first ten; every hotline is listed with
    its number, and the number typed in chooses it."""
    tg, vk = fakes
    async with running(tmp_path, tg, vk) as app:
        ids = [await open_hotline(app, topic=f"Тема {n}") for n in range(1, 12)]
        await vk_consent(vk, CITIZEN)
        greeting = said(vk, "Спасибо! Теперь")[-1]
        assert "11. Горячая линия «Тема 11»" in greeting["message"]
        rows = keyboard_rows(greeting)
        assert len(rows) <= 6
        assert sum(map(len, rows)) <= 10
        assert rows[-1] == ["Мои вопросы", "Удалить мои данные"]
        assert [label for row in rows[:-1] for label in row] == [f"Тема {n}" for n in range(1, 9)]
        vk.user_message(CITIZEN, "Когда починят дорогу?")
        prompt = (await wait(lambda: said(vk, "Ваш вопрос сохранён")))[-1]
        assert "11. Тема 11" in prompt["message"]
        rows = keyboard_rows(prompt)
        assert len(rows) <= 6
        assert [label for row in rows for label in row] == [f"Тема {n}" for n in range(1, 11)]
        vk.user_message(CITIZEN, "11")
        await wait(lambda: said(vk, "Номер вопроса: №1"))
        questions = await question_rows(app.services.db)
        assert [(r["hotline_id"], r["text"]) for r in questions] == [
            (ids[-1], "Когда починят дорогу?")
        ]


async def test_an_answer_missed_while_messages_were_off_comes_with_a_button_press(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    """The citizen turned off the community's messages (901) before the answer; allowed
    again, they press «Мои вопросы» on an old message rather than write: the press, like
    a message, makes them reachable and brings the answer, once."""
    async with running(tmp_path, tg, vk) as app:
        await open_hotline(app)
        await vk_consent(vk, CITIZEN)
        vk.user_message(CITIZEN, "Когда дадут тепло?")
        card = (await wait(lambda: cards(tg)))[0]
        await wait(lambda: card_recorded(app, card["message_id"]))
        vk.block_messages(CITIZEN)
        reply = "Тепло дадут в среду."
        tg.user_message(MODERATOR, ADMIN_CHAT, text=reply, reply_to_message_id=card["message_id"])
        await wait(
            lambda: "заблокировал бота" in tg_text(tg.message(ADMIN_CHAT, card["message_id"]) or {})
        )
        vk.unblock_messages(CITIZEN)
        greeting = [m for m in vk.messages(CITIZEN) if "Спасибо! Теперь" in m["message"]][-1]
        vk.message_event(
            CITIZEN,
            vk_buttons(greeting)["Мои вопросы"],
            conversation_message_id=greeting["conversation_message_id"],
        )
        await wait(lambda: [m for m in vk.messages(CITIZEN) if reply in m["message"]])
        await wait(
            lambda: "Доставлено." in tg_text(tg.message(ADMIN_CHAT, card["message_id"]) or {})
        )
        await wait(lambda: outbox_idle(app.services.db))
        assert len([m for m in vk.messages(CITIZEN) if reply in m["message"]]) == 1


async def test_a_link_sent_alone_is_a_question_with_its_address(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    """VK sends a pasted link with no text as a ``link`` attachment: its address is the
    question (as on MAX), not «please write in text»."""
    async with running(tmp_path, tg, vk) as app:
        await open_hotline(app)
        await vk_consent(vk, CITIZEN)
        url = "https://town.example/yama"
        vk.user_message(CITIZEN, "", attachments=[{"type": "link", "link": {"url": url}}])
        await wait(lambda: [m for m in vk.messages(CITIZEN) if "Номер вопроса" in m["message"]])
        assert [r["text"] for r in await question_rows(app.services.db)] == [url]
