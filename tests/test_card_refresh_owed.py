"""A card refreshed while its own send is not yet recorded: the refresh is owed, then made.

The fake shows a card once it accepts the call; here its answer is held back for a moment
(a slow answer, ``timeout_after_accept`` with a delay well under the client's timeout), so
the app does not know yet which messages make the card. A moderator presses a button in
that window: the card must still come to show what the press changed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bots.app import App
from shared.storage.schema import card_refresh_owed
from simulators.telegram import FakeTelegram
from tests.harness import ADMIN_CHAT, MODERATOR
from tests.hotline_harness import (
    card_recorded,
    cards,
    hotline_people,
    open_hotline,
    outbox_idle,
    running,
    tg_buttons,
    tg_consent,
    tg_text,
    wait,
)

CITIZEN = 7301
HELD = 2.0  # seconds the fake holds the card's answer back (the client waits 30)


@pytest.fixture
def tg(tg: FakeTelegram) -> FakeTelegram:
    return hotline_people(tg)


async def owed_cards(app: App) -> list[int]:
    async with app.services.db.read() as conn:
        rows = await conn.execute(select(card_refresh_owed.c.card_outbox_id))
        return [int(r[0]) for r in rows]


async def card_in_flight(app: App, tg: FakeTelegram) -> dict[str, object]:
    """Ask a question whose card's answer the fake holds back; return the card as shown."""
    await open_hotline(app)
    await tg_consent(tg, CITIZEN)
    tg.fail("sendMessage", "timeout_after_accept", chat_id=ADMIN_CHAT, delay=HELD)
    tg.user_message(CITIZEN, text="Когда починят фонарь на улице Ленина?")
    return (await wait(lambda: cards(tg)))[0]


async def pressed(tg: FakeTelegram, card: dict[str, object], label: str) -> None:
    """Press the card's button and wait until the app has answered the press."""
    before = len(tg.answered_callbacks())
    message_id = int(str(card["message_id"]))
    tg.callback(MODERATOR, message_id, ADMIN_CHAT, tg_buttons(card)[label])
    await wait(lambda: len(tg.answered_callbacks()) > before)


async def showing(tg: FakeTelegram, message_id: int, label: str) -> dict[str, Any]:
    """The card once it shows a button labelled ``label`` (after the held answer came)."""

    def shown() -> dict[str, Any] | None:
        card = tg.message(ADMIN_CHAT, message_id) or {}
        return card if label in tg_buttons(card) else None

    return await wait(shown, timeout=HELD + 10)


async def test_a_press_before_the_card_is_recorded_reaches_the_card(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    async with running(tmp_path, tg) as app:
        card = await card_in_flight(app, tg)
        message_id = int(str(card["message_id"]))
        await pressed(tg, card, "Отклонить")
        # The press landed inside the window: the card's messages were still unknown.
        assert not await card_recorded(app, message_id)
        assert len(await owed_cards(app)) == 1
        # Once the held answer arrives the card is recorded and edited to the reasons.
        shown = await showing(tg, message_id, "Спам")
        assert "← Назад" in tg_buttons(shown)
        assert await card_recorded(app, message_id)
        await wait(lambda: outbox_idle(app.services.db))
        assert await owed_cards(app) == []  # taken when the card's outcome was recorded


async def test_a_toggle_before_the_card_is_recorded_is_shown_once_it_is(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    async with running(tmp_path, tg) as app:
        card = await card_in_flight(app, tg)
        message_id = int(str(card["message_id"]))
        await pressed(tg, card, "Для публикации")
        assert not await card_recorded(app, message_id)
        shown = await showing(tg, message_id, "Убрать из публикации")
        assert "Взять" in tg_buttons(shown)
        assert tg_text(shown).startswith(tg_text(card).split("\n")[0])
        await wait(lambda: outbox_idle(app.services.db))
        assert await owed_cards(app) == []


async def test_a_card_recorded_with_nothing_owed_is_not_edited(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    async with running(tmp_path, tg) as app:
        await open_hotline(app)
        await tg_consent(tg, CITIZEN)
        tg.user_message(CITIZEN, text="Когда починят фонарь на улице Ленина?")
        card = (await wait(lambda: cards(tg)))[0]
        message_id = str(card["message_id"])
        await wait(lambda: card_recorded(app, int(message_id)))
        await wait(lambda: outbox_idle(app.services.db))
        edits = [
            r
            for r in tg.requests("editMessageText")
            if r["params"].get("chat_id") == str(ADMIN_CHAT)
            and r["params"].get("message_id") == message_id
        ]
        assert edits == []
        assert await owed_cards(app) == []
