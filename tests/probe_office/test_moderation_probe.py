"""Probe: moderators answering and commanding in the admin chat, end to end on Telegram."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulators.telegram import FakeTelegram
from tests.harness import ADMIN_CHAT, MODERATOR
from tests.hotline_harness import (
    cards,
    containing,
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


@pytest.fixture
def tg(tg: FakeTelegram) -> FakeTelegram:
    return hotline_people(tg)


async def test_answer_days_with_a_huge_number_is_answered(tmp_path: Path, tg: FakeTelegram) -> None:
    """A slip of the finger (`/answer_days 1 99999999`) gets a reply, not silence."""
    async with running(tmp_path, tg) as app:
        hotline = await open_hotline(app)
        before = len(tg.messages(ADMIN_CHAT))
        with handled_updates() as handled:
            update = tg.user_message(MODERATOR, ADMIN_CHAT, text=f"/answer_days {hotline} 99999999")
            await wait(lambda: handled.all([update]))
        await wait(lambda: outbox_idle(app.services.db))
        replies = tg.messages(ADMIN_CHAT)[before:]
        said = [tg_text(m) for m in replies if not tg_text(m).startswith("/answer_days")]
        assert said, "the moderator got no answer at all"


async def test_ban_with_a_spaced_number_sign(tmp_path: Path, tg: FakeTelegram) -> None:
    """`/ban № 1` works like `/answer_days № 1` does."""
    async with running(tmp_path, tg) as app:
        await open_hotline(app)
        await tg_consent(tg, CITIZEN)
        tg.user_message(CITIZEN, text="Вопрос")
        await wait(lambda: cards(tg))
        tg.user_message(MODERATOR, ADMIN_CHAT, text="/ban № 1")
        await wait(lambda: containing(tg.messages(ADMIN_CHAT), "Автор вопроса №1 заблокирован"))
