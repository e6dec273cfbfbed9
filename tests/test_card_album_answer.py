"""A moderator's album in reply to a question card is one answer (or one correction).

Telegram delivers an album as separate messages sharing a ``media_group_id``, each a reply
to the card, the caption on one of them: answered part by part, the citizen would get an
answer with one photo and a correction for every other photo.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shared.hotlines import questions
from shared.storage import audit
from simulators.telegram import FakeTelegram, make_png
from tests.harness import ADMIN_CHAT, MODERATOR
from tests.hotline_harness import (
    cards,
    containing,
    fast_overrides,
    handled_updates,
    hotline_people,
    open_hotline,
    outbox_idle,
    running,
    tg_consent,
    tg_text,
    wait,
)

CITIZEN = 7001
CAPTION = "График на фото."


@pytest.fixture
def tg(tg: FakeTelegram) -> FakeTelegram:
    """conftest's strict fake (limits and teardown checks on) with the hotline's people."""
    return hotline_people(tg)


def reply_with_album(tg: FakeTelegram, card: dict[str, Any], group: str) -> list[dict[str, Any]]:
    """Three photos in reply to the card, as Telegram sends them: the caption on the first.
    Their updates."""
    return [
        tg.user_message(
            MODERATOR,
            ADMIN_CHAT,
            photo=make_png(20 + n, 20),
            caption=CAPTION if n == 0 else None,
            media_group_id=group,
            reply_to_message_id=card["message_id"],
        )
        for n in range(3)
    ]


def photos(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in messages if m.get("photo")]


async def asked(tg: FakeTelegram) -> dict[str, Any]:
    """A citizen asks; the question's card (ticket №1) in the admin chat."""
    await tg_consent(tg, CITIZEN)
    tg.user_message(CITIZEN, text="Где посмотреть график отключений?")
    return (await wait(lambda: cards(tg)))[0]


async def audited(app: Any) -> list[str]:
    async with app.services.db.read() as conn:
        return [e["action"] for e in await audit.entries(conn, "question", 1)]


async def stored_answers(app: Any) -> list[questions.Answer]:
    async with app.services.db.read() as conn:
        return await questions.answers_of(conn, 1)


async def test_an_album_reply_is_one_answer_with_all_its_photos(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    async with running(tmp_path, tg) as app:
        await open_hotline(app)
        card = await asked(tg)
        reply_with_album(tg, card, "answer-album")

        await wait(lambda: containing(tg.messages(CITIZEN), CAPTION))
        await wait(lambda: outbox_idle(app.services.db), timeout=15)

        sent = tg.messages(CITIZEN)
        assert len(containing(sent, "Ответ на ваш вопрос №1")) == 1
        assert containing(sent, "Уточнение") == [], [tg_text(m) for m in sent]
        album = photos(sent)
        assert len(album) == 3
        assert len({m.get("media_group_id") for m in album}) == 1, "one album, not three"
        assert await audited(app) == ["question.answer"]
        answers = await stored_answers(app)
        assert [(a.text, len(a.attachments), a.is_correction) for a in answers] == [
            (CAPTION, 3, False)
        ]


async def test_an_album_reply_to_an_answered_question_is_one_correction(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    async with running(tmp_path, tg) as app:
        await open_hotline(app)
        card = await asked(tg)
        tg.user_message(
            MODERATOR,
            ADMIN_CHAT,
            text="График на сайте администрации.",
            reply_to_message_id=card["message_id"],
        )
        await wait(lambda: containing(tg.messages(CITIZEN), "График на сайте администрации."))
        reply_with_album(tg, card, "correction-album")

        await wait(lambda: containing(tg.messages(CITIZEN), CAPTION))
        await wait(lambda: outbox_idle(app.services.db), timeout=15)

        sent = tg.messages(CITIZEN)
        assert len(containing(sent, "Уточнение")) == 1, [tg_text(m) for m in sent]
        assert len(photos(sent)) == 3
        assert len({m.get("media_group_id") for m in photos(sent)}) == 1
        assert await audited(app) == ["question.answer", "question.correct"]
        answers = await stored_answers(app)
        assert [(len(a.attachments), a.is_correction) for a in answers] == [(0, False), (3, True)]


async def test_an_album_reply_still_being_collected_when_the_app_stops_is_answered(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    """Its parts' updates were confirmed to Telegram as they were handled: dropped at the
    stop, the album would never come again. It is answered as the app stops instead."""
    waits_long = fast_overrides(publishing={"album_wait_seconds": 300})
    async with running(tmp_path, tg, overrides=waits_long) as app:
        await open_hotline(app)
        card = await asked(tg)
        with handled_updates() as handled:
            parts = reply_with_album(tg, card, "album-at-stop")
            await wait(lambda: handled.all(parts))
        assert await stored_answers(app) == []  # still being collected

    async with running(tmp_path, tg) as app:
        await wait(lambda: containing(tg.messages(CITIZEN), CAPTION))
        await wait(lambda: outbox_idle(app.services.db), timeout=15)
        sent = tg.messages(CITIZEN)
        assert len(containing(sent, "Ответ на ваш вопрос №1")) == 1
        assert len(photos(sent)) == 3
        answers = await stored_answers(app)
        assert [(a.text, len(a.attachments), a.is_correction) for a in answers] == [
            (CAPTION, 3, False)
        ]
