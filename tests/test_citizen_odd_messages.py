"""What citizens send besides plain text, and buttons pressed after they stopped being
theirs: each adapter takes what it can, refuses the rest with «please write it in text»,
and answers every press. The real app against the strict fakes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shared.domain import MediaKind
from shared.storage import media
from simulators.max import FakeMax
from simulators.telegram import FakeTelegram
from simulators.vk import FakeVK
from tests.harness import ADMIN_CHAT
from tests.hotline_harness import (
    cards,
    containing,
    hotline_people,
    open_hotline,
    outbox_idle,
    question_rows,
    running,
    tg_buttons,
    tg_consent,
    tg_text,
    vk_buttons,
    vk_consent,
    wait,
)
from tests.test_max_hotline import consent as max_consent
from tests.test_max_hotline import overrides as max_overrides
from tests.test_max_hotline import said as max_said

VK_CITIZEN = 310001
MAX_CITIZEN = 700201
TG_CITIZEN = 8201
PDF = b"%PDF-1.4 a scanned act of the leak"
TEXT_ONLY = "напишите вопрос текстом"
STALE = "Эта кнопка устарела"


def vk_said(vk: FakeVK, needle: str) -> list[dict[str, Any]]:
    return [m for m in vk.messages(VK_CITIZEN) if needle in m["message"]]


def tg_said(tg: FakeTelegram, needle: str) -> list[dict[str, Any]]:
    return containing(tg.messages(TG_CITIZEN), needle)


def max_payload(message: dict[str, Any], label: str) -> str:
    """The payload of the callback button labelled ``label`` on a bot's MAX message."""
    for attachment in message["attachments"]:
        if attachment["type"] == "inline_keyboard":
            for row in attachment["payload"]["buttons"]:
                for button in row:
                    if button["text"] == label:
                        return str(button["payload"])
    raise KeyError(label)


# --- VK documents ----------------------------------------------------------------------


async def test_vk_document_with_text_is_kept_with_the_question(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    hotline_people(tg)
    async with running(tmp_path, tg, vk) as app:
        await open_hotline(app)
        await vk_consent(vk, VK_CITIZEN)
        vk.user_message(
            VK_CITIZEN, "Прикладываю акт о протечке", attachments=[("doc", PDF, "акт.pdf")]
        )
        await wait(lambda: vk_said(vk, "Номер вопроса: №1"))
        rows = await question_rows(app.services.db)
        assert [r["text"] for r in rows] == ["Прикладываю акт о протечке"]
        assert len(rows[0]["attachments"]) == 1
        # The moderators get the document with the card, its bytes and its name.
        sent = await wait(lambda: [m for m in tg.messages(ADMIN_CHAT) if m.get("document")])
        document = sent[0]["document"]
        assert document["file_name"] == "акт.pdf"
        assert tg.file_bytes(document["file_id"]) == PDF
        assert "Прикладываю акт" in tg_text((await wait(lambda: cards(tg)))[0])
        assert not vk_said(vk, TEXT_ONLY)


async def test_vk_document_alone_is_a_question(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    hotline_people(tg)
    async with running(tmp_path, tg, vk) as app:
        await open_hotline(app)
        await vk_consent(vk, VK_CITIZEN)
        greetings = len(vk_said(vk, "Горячая линия «Отопление»"))
        vk.user_message(VK_CITIZEN, "", attachments=[("doc", PDF, "жалоба.pdf")])
        await wait(lambda: vk_said(vk, "Номер вопроса: №1"))
        rows = await question_rows(app.services.db)
        assert len(rows) == 1
        assert len(rows[0]["attachments"]) == 1
        async with app.services.db.read() as conn:
            stored = await media.of(conn, media.MediaOwner.QUESTION, rows[0]["id"])
        assert [(f.kind, f.filename, f.data) for f in stored] == [
            (MediaKind.DOCUMENT, "жалоба.pdf", PDF)
        ]
        assert len(vk_said(vk, "Горячая линия «Отопление»")) == greetings, "no greeting again"


async def test_vk_a_repost_alone_is_refused_in_words(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    """Nothing the bot takes and no text (a repost of a wall post): «text only», not the
    greeting again."""
    hotline_people(tg)
    repost = {"type": "wall", "wall": {"id": 7, "owner_id": -1, "from_id": -1, "text": "…"}}
    async with running(tmp_path, tg, vk) as app:
        await open_hotline(app)
        await vk_consent(vk, VK_CITIZEN)
        greetings = len(vk_said(vk, "Горячая линия «Отопление»"))
        vk.user_message(VK_CITIZEN, "", attachments=[repost])
        await wait(lambda: vk_said(vk, TEXT_ONLY))
        await wait(lambda: outbox_idle(app.services.db))
        assert await question_rows(app.services.db) == []
        assert len(vk_said(vk, "Горячая линия «Отопление»")) == greetings


# --- Telegram: what it can't take ------------------------------------------------------


@pytest.mark.parametrize(
    "kind",
    [
        {"location": (56.01, 92.87)},
        {"contact": ("+79130000000", "Анна")},
        {"dice": "🎲"},
        {"sticker": True},
        {"video_note": True},
    ],
    ids=["location", "contact", "dice", "sticker", "video-note"],
)
async def test_tg_location_and_the_like_get_the_text_only_reply(
    tmp_path: Path, tg: FakeTelegram, kind: dict[str, Any]
) -> None:
    hotline_people(tg)
    async with running(tmp_path, tg) as app:
        await open_hotline(app)
        await tg_consent(tg, TG_CITIZEN)
        greetings = len(tg_said(tg, "Напишите свой вопрос"))
        tg.user_message(TG_CITIZEN, **kind)
        await wait(lambda: tg_said(tg, TEXT_ONLY))
        await wait(lambda: outbox_idle(app.services.db))
        assert len(tg_said(tg, "Напишите свой вопрос")) == greetings, "not the greeting again"
        assert await question_rows(app.services.db) == []


async def test_tg_deep_link_start_in_capitals(tmp_path: Path, tg: FakeTelegram) -> None:
    """«/START hotline_2» (a link typed by hand, caps lock on): the link's hotline."""
    hotline_people(tg)
    async with running(tmp_path, tg) as app:
        await open_hotline(app, topic="Отопление")
        second = await open_hotline(app, topic="Дороги")
        await tg_consent(tg, TG_CITIZEN)
        chosen = len(tg_said(tg, "Горячая линия «Дороги»"))
        tg.user_message(TG_CITIZEN, text=f"/START hotline_{second}")
        await wait(lambda: len(tg_said(tg, "Горячая линия «Дороги»")) > chosen)
        last = tg_text(tg.messages(TG_CITIZEN)[-1])
        assert "Сейчас открыто несколько" not in last, last
        assert "Отопление" not in last, last
        tg.user_message(TG_CITIZEN, text="Когда засыплют яму?")
        await wait(lambda: tg_said(tg, "Номер вопроса: №1"))
        rows = await question_rows(app.services.db)
        assert [(r["hotline_id"], r["text"]) for r in rows] == [(second, "Когда засыплют яму?")]


# --- buttons pressed after the citizen's data was deleted -------------------------------


async def test_vk_old_button_after_withdrawal_gets_a_reply(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    hotline_people(tg)
    async with running(tmp_path, tg, vk) as app:
        await open_hotline(app)
        await vk_consent(vk, VK_CITIZEN)
        greeting = vk_said(vk, "Спасибо! Теперь")[-1]
        vk.user_message(VK_CITIZEN, "/subscribe")
        menu = (await wait(lambda: vk_said(vk, "Оповещения от администрации")))[-1]
        vk.user_message(VK_CITIZEN, "Удалить мои данные")
        await wait(lambda: vk_said(vk, "Ваши данные удалены"))
        await wait(lambda: outbox_idle(app.services.db))
        before = len(vk.messages(VK_CITIZEN))
        for message, label in ((greeting, "Мои вопросы"), (menu, next(iter(vk_buttons(menu))))):
            event = vk.message_event(
                VK_CITIZEN,
                vk_buttons(message)[label],
                conversation_message_id=message["conversation_message_id"],
            )
            answer = await wait(
                lambda e=event: [a for a in vk.event_answers() if a["event_id"] == e]
            )
            assert answer[0]["event_data"]["type"] == "show_snackbar", label
            assert STALE in answer[0]["event_data"]["text"], label
        await wait(lambda: outbox_idle(app.services.db))
        assert len(vk.messages(VK_CITIZEN)) == before, "the snackbar says it, nothing else"


async def test_max_old_button_after_withdrawal_gets_a_reply(
    tmp_path: Path, tg: FakeTelegram, max: FakeMax
) -> None:
    hotline_people(tg)
    async with running(tmp_path, tg, overrides=max_overrides(max)) as app:
        await open_hotline(app)
        await max_consent(max, MAX_CITIZEN)
        greeting = max_said(max, "Спасибо! Теперь", MAX_CITIZEN)[-1]
        max.user_message(MAX_CITIZEN, "/subscribe", first_name="Ольга")
        menu = (await wait(lambda: max_said(max, "Оповещения от администрации", MAX_CITIZEN)))[-1]
        topic = next(
            b["text"]
            for a in menu["attachments"]
            if a["type"] == "inline_keyboard"
            for row in a["payload"]["buttons"]
            for b in row
        )
        max.user_message(MAX_CITIZEN, "Удалить мои данные", first_name="Ольга")
        await wait(lambda: max_said(max, "Ваши данные удалены", MAX_CITIZEN))
        for message, label in ((greeting, "Мои вопросы"), (menu, topic)):
            acks = len(max.answers())
            max.callback(MAX_CITIZEN, max_payload(message, label), mid=message["mid"])
            answers = await wait(lambda n=acks: max.answers()[n:])
            assert STALE in str(answers[0]["notification"]), label
        # A button that is still the citizen's is acknowledged as before.
        asked = len(max_said(max, "152-ФЗ", MAX_CITIZEN))
        max.bot_started(MAX_CITIZEN, first_name="Ольга")
        request = await wait(lambda: max_said(max, "152-ФЗ", MAX_CITIZEN)[asked:])
        acks = len(max.answers())
        max.callback(MAX_CITIZEN, max_payload(request[-1], "Согласен(на)"), mid=request[-1]["mid"])
        answers = await wait(lambda: max.answers()[acks:])
        assert answers[0]["notification"] == "Принято"


async def test_tg_old_button_after_withdrawal_gets_a_reply(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    hotline_people(tg)
    async with running(tmp_path, tg) as app:
        await open_hotline(app)
        await tg_consent(tg, TG_CITIZEN)
        greeting = tg_said(tg, "Спасибо! Теперь")[-1]
        tg.user_message(TG_CITIZEN, text="/subscribe")
        menu = (await wait(lambda: tg_said(tg, "Оповещения от администрации")))[-1]
        tg.user_message(TG_CITIZEN, text="Удалить мои данные")
        await wait(lambda: tg_said(tg, "Ваши данные удалены"))
        topic = next(iter(tg_buttons(menu).values()))
        for message, data in ((greeting, tg_buttons(greeting)["Мои вопросы"]), (menu, topic)):
            tg.callback(TG_CITIZEN, message["message_id"], TG_CITIZEN, data)
            answer = await wait(
                lambda d=data: [a for a in tg.answered_callbacks() if a["data"] == d]
            )
            assert STALE in str(answer[0]["text"]), data
