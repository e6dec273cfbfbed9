"""A late press of «Ответить только на этот» or «Убрать №N» on a group card already
answered (a second moderator's card still showed the buttons) is refused: the group the
answer went to stays, the card keeps naming who got the answer, and the moderator's later
correction (an edit of the reply) reaches every citizen of the group."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from simulators.telegram import FakeTelegram
from tests.harness import ADMIN_CHAT, MODERATOR
from tests.hotline_harness import (
    MODERATOR_2,
    card_for,
    card_recorded,
    containing,
    fast_overrides,
    hotline_people,
    open_hotline,
    running,
    tg_buttons,
    tg_consent,
    tg_text,
    wait,
)

FIRST = 400001
QUESTIONS = [
    (FIRST, "Когда включат отопление в доме Советская 12?"),
    (FIRST + 1, "советская 12 отопления нет уже неделю"),
    (FIRST + 2, "Нет отопления на Советской 12, батареи холодные"),
]
TYPO, FIXED = "Включим в срееду.", "Включим в среду."
CLOSED = "На этот вопрос уже ответили или он отклонён."


@pytest.fixture
def tg(tg: FakeTelegram) -> FakeTelegram:
    return hotline_people(tg)


def now(tg: FakeTelegram, message_id: int) -> dict[str, Any]:
    return tg.message(ADMIN_CHAT, message_id) or {}


@pytest.mark.parametrize("stale", ["Ответить только на этот", "Убрать №1"])
async def test_a_late_press_on_an_answered_group_card_keeps_the_group(
    tmp_path: Path, tg: FakeTelegram, stale: str
) -> None:
    overrides = fast_overrides(telegram={"moderator_ids": [MODERATOR, MODERATOR_2]})
    async with running(tmp_path, tg, overrides=overrides) as app:
        await open_hotline(app)
        for n, (user, question) in enumerate(QUESTIONS, 1):
            await tg_consent(tg, user, name=f"Житель{n}")
            tg.user_message(user, text=question)
            card = await wait(lambda t=n: card_for(tg, t))
            await wait(lambda c=card: card_recorded(app, c["message_id"]))
        card_id = card["message_id"]  # №3's: it names №1 and №2 as similar
        shown = await wait(
            lambda: (
                (c := now(tg, card_id))
                and any(k.startswith("Ответить всем") for k in tg_buttons(c))
                and c
            )
        )
        everyone = next(k for k in tg_buttons(shown) if k.startswith("Ответить всем"))
        tg.callback(MODERATOR, card_id, ADMIN_CHAT, tg_buttons(shown)[everyone])
        grouped = await wait(lambda: "получат все" in tg_text(c := now(tg, card_id)) and c)
        late = tg_buttons(grouped)[stale]  # Пётр's screen still shows this

        reply = tg.user_message(MODERATOR, ADMIN_CHAT, text=TYPO, reply_to_message_id=card_id)
        for user, _ in QUESTIONS:
            await wait(lambda u=user: containing(tg.messages(u), TYPO))
        await wait(lambda: "получили также" in tg_text(now(tg, card_id)))

        before = len(tg.answered_callbacks())
        tg.callback(MODERATOR_2, card_id, ADMIN_CHAT, late, check_button=False)
        toast = (await wait(lambda: tg.answered_callbacks()[before:]))[0]
        assert toast.get("text") == CLOSED, toast

        tg.edit_user_message(MODERATOR, reply["message"]["message_id"], ADMIN_CHAT, text=FIXED)
        for user, _ in QUESTIONS:
            await wait(lambda u=user: containing(tg.messages(u), FIXED))
        named = next(line for line in tg_text(now(tg, card_id)).split("\n") if "также" in line)
        assert "№1" in named, named
        assert "№2" in named, named
