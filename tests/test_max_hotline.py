"""Hotlines end to end with citizens in MAX (long polling, inline callback keyboards) and
moderators in the Telegram admin chat: the real app against both strict fakes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shared.domain import MediaKind, OutboxState
from shared.storage import citizens, markers, media
from simulators.max import FakeMax
from simulators.max.state import BOT_USER_ID
from simulators.telegram import FakeTelegram
from simulators.vk.media import png_bytes
from tests.harness import ADMIN_CHAT, MODERATOR
from tests.hotline_harness import (
    HOSTILE,
    cards,
    fast_overrides,
    hotline_people,
    open_hotline,
    outbox_idle,
    outbox_rows,
    question_rows,
    running,
    tg_text,
    wait,
)

CITIZEN = 700001


@pytest.fixture
def fakes(tg: FakeTelegram, max: FakeMax) -> tuple[FakeTelegram, FakeMax]:
    return hotline_people(tg), max


def overrides(fake: FakeMax) -> dict[str, Any]:
    return fast_overrides(
        max={
            "token": fake.token,
            "api_base": fake.base_url,
            "channel_id": fake.channel_id,
            "request_timeout": 3,
            "longpoll_timeout": 1,
        }
    )


def said(fake: FakeMax, needle: str, user: int = CITIZEN) -> list[dict[str, Any]]:
    """The bot's messages to ``user`` that contain ``needle``."""
    return [
        m
        for m in fake.dialog_messages(user)
        if m["sender_id"] == BOT_USER_ID and needle in m["text"]
    ]


def labels(message: dict[str, Any]) -> list[str]:
    return [
        button["text"]
        for attachment in message["attachments"]
        if attachment["type"] == "inline_keyboard"
        for row in attachment["payload"]["buttons"]
        for button in row
    ]


async def consent(fake: FakeMax, user: int = CITIZEN, first: str = "Ольга") -> None:
    fake.bot_started(user, payload="hotline", first_name=first, last_name="Смирнова")
    prompt = await wait(lambda: said(fake, "152-ФЗ", user))
    assert "Согласен(на)" in labels(prompt[-1])
    fake.press(user, "Согласен(на)")
    await wait(lambda: said(fake, "Спасибо! Теперь", user))


async def test_whole_loop_start_consent_question_card_reply_answer(
    tmp_path: Path, fakes: tuple[FakeTelegram, FakeMax]
) -> None:
    tg, fake = fakes
    async with running(tmp_path, tg, overrides=overrides(fake)) as app:
        await open_hotline(app)
        await consent(fake)
        assert fake.answers(), "the button press was acknowledged through /answers"
        assert said(fake, "Горячая линия «Отопление»")
        fake.user_message(CITIZEN, "Где яма?", attachments=[("image", png_bytes(30, 20))])
        await wait(lambda: said(fake, "Номер вопроса: №1"))
        card = await wait(lambda: [m for m in tg.messages(ADMIN_CHAT) if m.get("photo")])
        text = tg_text(card[0])
        assert "MAX" in text
        assert "Ольга" in text
        rows = await question_rows(app.services.db)
        assert len(rows[0]["attachments"]) == 1
        tg.user_message(
            MODERATOR,
            ADMIN_CHAT,
            text="Засыплем завтра.",
            reply_to_message_id=card[0]["message_id"],
        )
        answer = await wait(lambda: said(fake, "Засыплем завтра."))
        assert "Ответ на ваш вопрос №1" in answer[0]["text"]
        await wait(
            lambda: "Доставлено." in tg_text(tg.message(ADMIN_CHAT, card[0]["message_id"]) or {})
        )
        fake.press(CITIZEN, "Мои вопросы")
        mine = await wait(lambda: said(fake, "Ваши вопросы"))
        assert "№1 — есть ответ" in mine[0]["text"]
        assert len(said(fake, "Засыплем завтра.")) == 1
        fake.user_message(CITIZEN, "Мои вопросы")
        await wait(lambda: len(said(fake, "Ваши вопросы")) == 2)


async def test_a_restart_in_the_middle_of_the_dialogue(
    tmp_path: Path, fakes: tuple[FakeTelegram, FakeMax]
) -> None:
    tg, fake = fakes
    async with running(tmp_path, tg, overrides=overrides(fake)) as app:
        await open_hotline(app)
        fake.bot_started(CITIZEN, first_name="Ольга")
        await wait(lambda: said(fake, "152-ФЗ"))
    # Stopped: the citizen agrees and asks while nothing runs.
    fake.press(CITIZEN, "Согласен(на)")
    fake.user_message(CITIZEN, HOSTILE)
    async with running(tmp_path, tg, overrides=overrides(fake)) as app:
        await wait(lambda: said(fake, "Номер вопроса: №1"))
        assert len(said(fake, "Спасибо! Теперь")) == 1, "the press was handled once"
        card = (await wait(lambda: cards(tg)))[0]
        assert HOSTILE.strip() in tg_text(card)
        tg.user_message(MODERATOR, ADMIN_CHAT, text=HOSTILE, reply_to_message_id=card["message_id"])
        answer = await wait(lambda: said(fake, "Ответ на ваш вопрос"))
        assert HOSTILE.strip() in answer[0]["text"], "the citizen sees the text literally"
        hostile_at = answer[0]["text"].index(HOSTILE.strip())
        assert all(m["from"] + m["length"] <= hostile_at for m in answer[0]["markup"]), (
            "no markup came out of the hostile text"
        )
        assert len(await question_rows(app.services.db)) == 1
        async with app.services.db.read() as conn:
            stored = await markers.get(conn, "max")
        assert stored is not None, "the long poll's marker is kept in our database"
    polls_before = len(fake.calls("getUpdates"))
    async with running(tmp_path, tg, overrides=overrides(fake)) as app:
        first_poll = fake.calls("getUpdates")[polls_before]
        assert first_poll["query"]["marker"] == str(stored), "resumed where it stopped"
        fake.user_message(CITIZEN, "Мои вопросы")
        await wait(lambda: said(fake, "Ваши вопросы"))
        assert len(said(fake, "Номер вопроса")) == 1, "no update was handled twice"
        assert len(await question_rows(app.services.db)) == 1


async def test_choosing_a_hotline_with_a_button(
    tmp_path: Path, fakes: tuple[FakeTelegram, FakeMax]
) -> None:
    tg, fake = fakes
    async with running(tmp_path, tg, overrides=overrides(fake)) as app:
        await open_hotline(app, topic="Отопление")
        await open_hotline(app, topic="Дороги")
        await consent(fake)
        fake.user_message(CITIZEN, "Когда починят дорогу?")
        prompt = await wait(lambda: said(fake, "Выберите, на какую"))
        [roads] = [label for label in labels(prompt[-1]) if "Дороги" in label]
        fake.press(CITIZEN, roads)
        await wait(lambda: said(fake, "Номер вопроса: №1"))
        rows = await question_rows(app.services.db)
        assert [(r["hotline_id"], r["text"]) for r in rows] == [(2, "Когда починят дорогу?")]


async def test_a_citizen_who_blocked_the_bot_is_unreachable(
    tmp_path: Path, fakes: tuple[FakeTelegram, FakeMax]
) -> None:
    tg, fake = fakes
    async with running(tmp_path, tg, overrides=overrides(fake)) as app:
        await open_hotline(app)
        await consent(fake)
        fake.user_message(CITIZEN, "Вопрос")
        card = (await wait(lambda: cards(tg)))[0]
        await wait(lambda: said(fake, "Номер вопроса"))
        fake.block_bot(CITIZEN)
        tg.user_message(MODERATOR, ADMIN_CHAT, text="Ответ", reply_to_message_id=card["message_id"])
        await wait(
            lambda: "Не доставлено" in tg_text(tg.message(ADMIN_CHAT, card["message_id"]) or {})
        )
        rows = await outbox_rows(app.services.db, ref_type="answer")
        assert rows[0]["state"] == OutboxState.FAILED.value
        assert len([c for c in fake.calls("sendMessage") if c["status"] == 403]) == 1
        async with app.services.db.read() as conn:
            citizen = await citizens.find(conn, "max", str(CITIZEN))
        assert citizen is not None
        assert not citizen.reachable


async def test_outside_a_hotline_and_what_can_not_be_taken(
    tmp_path: Path, fakes: tuple[FakeTelegram, FakeMax]
) -> None:
    tg, fake = fakes
    async with running(tmp_path, tg, overrides=overrides(fake)) as app:
        await consent(fake)
        fake.user_message(CITIZEN, "", attachments=[("video", b"\x00\x00\x00 ftypmp4")])
        await wait(lambda: said(fake, "напишите вопрос текстом"))
        fake.user_message(CITIZEN, "Когда отремонтируют школу?")
        await wait(lambda: said(fake, "сохранён под номером №1"))
        card = (await wait(lambda: cards(tg)))[0]
        assert "Общий вопрос (вне горячей линии)" in tg_text(card)
        assert "MAX" in tg_text(card)
        rows = await question_rows(app.services.db)
        assert [(r["hotline_id"], r["text"]) for r in rows] == [
            (None, "Когда отремонтируют школу?")
        ]


async def test_an_update_read_again_after_a_restart_is_one_question(
    tmp_path: Path, fakes: tuple[FakeTelegram, FakeMax]
) -> None:
    """bots/max/longpoll.py: a batch cut off mid-handling is read again after a restart;
    the same ``message_created`` (the same ``mid``) makes one question, ticket and card."""
    tg, fake = fakes
    async with running(tmp_path, tg, overrides=overrides(fake)) as app:
        await open_hotline(app)
        await consent(fake)
        update = fake.user_message(CITIZEN, "Когда починят лифт?", first_name="Ольга")
        await wait(lambda: said(fake, "Номер вопроса"))
        fake.push_update(
            "message_created",
            {k: v for k, v in update.items() if k not in ("update_type", "timestamp")},
        )
        fake.user_message(CITIZEN, "Мои вопросы", first_name="Ольга")
        await wait(lambda: said(fake, "Ваши вопросы"))
        await wait(lambda: outbox_idle(app.services.db))
        rows = await question_rows(app.services.db)
        assert [r["text"] for r in rows] == ["Когда починят лифт?"]
        assert len(said(fake, "Номер вопроса")) == 1
        assert len(cards(tg)) == 1


async def test_a_document_is_kept_with_the_question_as_on_the_other_platforms(
    tmp_path: Path, fakes: tuple[FakeTelegram, FakeMax]
) -> None:
    """A scan of a decision, a PDF complaint: the moderators see the file on the card."""
    tg, fake = fakes
    async with running(tmp_path, tg, overrides=overrides(fake)) as app:
        await consent(fake)
        scan = b"%PDF-1.4 a scanned decision"
        fake.user_message(
            CITIZEN, "Прилагаю постановление", attachments=[("file", scan, "постановление.pdf")]
        )
        await wait(lambda: said(fake, "сохранён под номером №1"))
        rows = await question_rows(app.services.db)
        assert len(rows[0]["attachments"]) == 1
        async with app.services.db.read() as conn:
            [kept] = await media.of(conn, media.MediaOwner.QUESTION, rows[0]["id"])
        assert (kept.kind, kept.filename, kept.mime) == (
            MediaKind.DOCUMENT,
            "постановление.pdf",
            "application/pdf",
        )
        await wait(lambda: [d for d in tg.messages(ADMIN_CHAT) if d.get("document")])


async def test_a_name_of_invisible_characters_is_shown_as_no_name(
    tmp_path: Path, fakes: tuple[FakeTelegram, FakeMax]
) -> None:
    """A profile name of zero-width and direction marks only reads as nothing on the
    card: «без имени», as for no name (and no stray direction mark in the card)."""
    tg, fake = fakes
    async with running(tmp_path, tg, overrides=overrides(fake)) as app:
        await open_hotline(app)
        fake.bot_started(CITIZEN, payload="hotline", first_name="\u200b\u2066", last_name=None)
        await wait(lambda: said(fake, "152-ФЗ"))
        fake.press(CITIZEN, "Согласен(на)")
        await wait(lambda: said(fake, "Спасибо! Теперь"))
        fake.user_message(CITIZEN, "Когда дадут тепло?", first_name="\u200b\u2066", last_name=None)
        card = (await wait(lambda: cards(tg)))[0]
        assert "без имени" in tg_text(card)
        assert "\u2066" not in tg_text(card)
