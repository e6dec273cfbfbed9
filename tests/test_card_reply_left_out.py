"""A moderator's reply that carries what an answer cannot (a voice message, a sticker, a
file over the 20 MB a bot may download): named to the moderator in one line, never
dropped unsaid."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulators.telegram import FakeTelegram
from tests.harness import ADMIN_CHAT, MODERATOR
from tests.hotline_harness import (
    card_for,
    card_recorded,
    containing,
    hotline_people,
    open_hotline,
    question_rows,
    running,
    tg_consent,
    tg_text,
    wait,
)

CITIZEN = 7001


@pytest.fixture
def tg(tg: FakeTelegram) -> FakeTelegram:
    return hotline_people(tg)


async def _card(app, tg: FakeTelegram) -> dict:  # type: ignore[no-untyped-def]
    tg.user_message(CITIZEN, text="Когда дадут тепло?")
    card = await wait(lambda: card_for(tg, 1))
    await wait(lambda: card_recorded(app, card["message_id"]))
    return card


async def test_a_voice_reply_is_not_sent_and_the_moderator_is_told(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    async with running(tmp_path, tg) as app:
        await open_hotline(app)
        await tg_consent(tg, CITIZEN)
        card = await _card(app, tg)
        tg.user_message(MODERATOR, ADMIN_CHAT, voice=True, reply_to_message_id=card["message_id"])
        [told] = await wait(lambda: containing(tg.messages(ADMIN_CHAT), "Ответ не отправлен"))
        assert "голосовое сообщение" in tg_text(told)
        assert told["reply_to_message"]["message_id"] > card["message_id"], "under the reply"
        assert [r["status"] for r in await question_rows(app.services.db)] == ["new"]


async def test_a_file_too_large_to_download_is_named_and_the_text_still_goes(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    async with running(tmp_path, tg) as app:
        await open_hotline(app)
        await tg_consent(tg, CITIZEN)
        card = await _card(app, tg)
        tg.user_message(
            MODERATOR,
            ADMIN_CHAT,
            document=("grafik.pdf", b"%PDF-1.4 " + b"0" * (21 << 20)),
            caption="График во вложении",
            reply_to_message_id=card["message_id"],
        )
        await wait(lambda: containing(tg.messages(CITIZEN), "График во вложении"))
        [told] = await wait(lambda: containing(tg.messages(ADMIN_CHAT), "Ответ отправлен без"))
        assert "«grafik.pdf» (больше 20 МБ)" in tg_text(told)
        assert [r["status"] for r in await question_rows(app.services.db)] == ["answered"]
