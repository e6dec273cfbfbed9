"""A moderator who edits their reply to a question card (a typo fixed) corrects the answer.

Telegram reports the edit as an ``edited_message`` update: its new text goes to the citizen
as «Уточнение», through the same path as a second reply (audit log, stored answers, card).
An edit that leaves the text as it was sends nothing; edits of other admin-chat messages
and a citizen's edit of their question change nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bots.app import App
from shared.hotlines import questions
from shared.storage import audit
from simulators.telegram import FakeTelegram
from tests.harness import ADMIN_CHAT, MODERATOR
from tests.hotline_harness import (
    card_for,
    cards,
    containing,
    handled_updates,
    hotline_people,
    open_hotline,
    outbox_idle,
    question_rows,
    running,
    tg_consent,
    tg_text,
    wait,
)

CITIZEN = 7001
QUESTION = "Когда дадут тепло на улице Ленина?"
TYPO = "Тепло дадут в срееду."
FIXED = "Тепло дадут в среду."
CORRECTION = "Уточнение"


@pytest.fixture
def tg(tg: FakeTelegram) -> FakeTelegram:
    """conftest's strict fake (limits and teardown checks on) with the hotline's people."""
    return hotline_people(tg)


async def asked(tg: FakeTelegram) -> dict[str, Any]:
    """A citizen asks; the question's card (ticket №1) in the admin chat."""
    await tg_consent(tg, CITIZEN)
    tg.user_message(CITIZEN, text=QUESTION)
    return (await wait(lambda: cards(tg)))[0]


async def answered(tg: FakeTelegram, card: dict[str, Any]) -> int:
    """The moderator replies to the card with a typo; the citizen has it. The reply's id."""
    reply = tg.user_message(
        MODERATOR, ADMIN_CHAT, text=TYPO, reply_to_message_id=card["message_id"]
    )
    await wait(lambda: containing(tg.messages(CITIZEN), TYPO))
    return int(reply["message"]["message_id"])


async def edited_and_handled(tg: FakeTelegram, app: App, message_id: int, text: str) -> None:
    """The moderator edits ``message_id`` in the admin chat; returns once the app has
    handled the update and sent whatever it was going to send."""
    with handled_updates() as handled:
        update = tg.edit_user_message(MODERATOR, message_id, ADMIN_CHAT, text=text)
        await wait(lambda: handled.all([update]))
    await wait(lambda: outbox_idle(app.services.db))


async def audited(app: App) -> list[str]:
    async with app.services.db.read() as conn:
        return [e["action"] for e in await audit.entries(conn, "question", 1)]


async def stored_answers(app: App) -> list[tuple[str, bool]]:
    async with app.services.db.read() as conn:
        return [(a.text, a.is_correction) for a in await questions.answers_of(conn, 1)]


def polled_for(tg: FakeTelegram) -> set[str]:
    """The update kinds the app's last getUpdates asked for."""
    params = tg.requests("getUpdates")[-1]["params"]
    return set(json.loads(params.get("allowed_updates") or "[]"))


async def test_editing_the_answer_sends_the_citizen_one_correction_with_the_new_text(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    async with running(tmp_path, tg) as app:
        await open_hotline(app)
        card = await asked(tg)
        reply = await answered(tg, card)
        assert "edited_message" in polled_for(tg)

        tg.edit_user_message(MODERATOR, reply, ADMIN_CHAT, text=FIXED)

        fix = await wait(lambda: containing(tg.messages(CITIZEN), FIXED))
        await wait(lambda: outbox_idle(app.services.db))
        sent = tg.messages(CITIZEN)
        assert len(fix) == 1, [tg_text(m) for m in sent]
        assert CORRECTION in tg_text(fix[0])
        assert len(containing(sent, CORRECTION)) == 1
        assert await audited(app) == ["question.answer", "question.correct"]
        assert await stored_answers(app) == [(TYPO, False), (FIXED, True)]
        async with app.services.db.read() as conn:
            kept = await questions.answers_of(conn, 1)
        assert [a.reply_message_id for a in kept] == [reply, reply]  # the answer holds it
        await wait(lambda: FIXED in tg_text(card_for(tg, 1) or {}))
        assert "Уточнение от Мария" in tg_text(card_for(tg, 1) or {})


async def test_an_edit_that_leaves_the_answer_text_as_it_was_sends_nothing(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    async with running(tmp_path, tg) as app:
        await open_hotline(app)
        card = await asked(tg)
        reply = await answered(tg, card)
        await wait(lambda: outbox_idle(app.services.db))
        before = len(tg.messages(CITIZEN))

        await edited_and_handled(tg, app, reply, TYPO)

        assert len(tg.messages(CITIZEN)) == before
        assert containing(tg.messages(CITIZEN), CORRECTION) == []
        assert await audited(app) == ["question.answer"]
        assert await stored_answers(app) == [(TYPO, False)]


async def test_a_second_edit_corrects_again_and_its_repeat_sends_nothing(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    """Each edit is compared with what the reply last sent, not with its first text."""
    async with running(tmp_path, tg) as app:
        await open_hotline(app)
        card = await asked(tg)
        reply = await answered(tg, card)

        await edited_and_handled(tg, app, reply, FIXED)
        await edited_and_handled(tg, app, reply, FIXED)
        await edited_and_handled(tg, app, reply, "Тепло дадут в четверг.")

        assert len(containing(tg.messages(CITIZEN), CORRECTION)) == 2
        assert await stored_answers(app) == [
            (TYPO, False),
            (FIXED, True),
            ("Тепло дадут в четверг.", True),
        ]


async def test_editing_other_admin_chat_messages_sends_nothing(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    """A plain message and a reply to a moderator's message are not replies to a card."""
    async with running(tmp_path, tg) as app:
        await open_hotline(app)
        card = await asked(tg)
        reply = await answered(tg, card)
        await wait(lambda: outbox_idle(app.services.db))
        plain = tg.user_message(MODERATOR, ADMIN_CHAT, text="Коллеги, я на обеде.")
        aside = tg.user_message(
            MODERATOR, ADMIN_CHAT, text="Это про Ленина?", reply_to_message_id=reply
        )
        await wait(lambda: outbox_idle(app.services.db))
        admin_chat_before = tg.messages(ADMIN_CHAT)
        citizen_before = len(tg.messages(CITIZEN))

        for message in (plain, aside):
            await edited_and_handled(tg, app, message["message"]["message_id"], FIXED)

        assert len(tg.messages(CITIZEN)) == citizen_before
        assert tg.messages(ADMIN_CHAT) == admin_chat_before
        assert await audited(app) == ["question.answer"]


async def test_a_citizens_edit_of_their_question_changes_nothing(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    async with running(tmp_path, tg) as app:
        await open_hotline(app)
        card = await asked(tg)
        await wait(lambda: outbox_idle(app.services.db))
        question = containing(tg.messages(CITIZEN, include_incoming=True), QUESTION)[0]
        citizen_before = len(tg.messages(CITIZEN))

        with handled_updates() as handled:
            update = tg.edit_user_message(CITIZEN, question["message_id"], text="Другой вопрос")
            await wait(lambda: handled.all([update]))
        await wait(lambda: outbox_idle(app.services.db))

        assert len(tg.messages(CITIZEN)) == citizen_before
        assert [r["text"] for r in await question_rows(app.services.db)] == [QUESTION]
        shown = tg_text(tg.message(ADMIN_CHAT, card["message_id"]) or {})
        assert QUESTION in shown
        assert "Другой вопрос" not in shown
