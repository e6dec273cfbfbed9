"""A group answer to a citizen who asked more than one of the group's questions: one
message, whose header names each of their questions it answers."""

from __future__ import annotations

from pathlib import Path

from simulators.telegram import FakeTelegram
from tests.harness import ADMIN_CHAT, MODERATOR
from tests.hotline_harness import (
    card_for,
    card_recorded,
    containing,
    open_hotline,
    running,
    tg_buttons,
    tg_consent,
    tg_text,
    wait,
)

TWICE, ONCE = 410001, 410002


async def test_one_message_names_every_question_of_the_citizen_it_answers(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    async with running(tmp_path, tg) as app:
        await open_hotline(app)
        await tg_consent(tg, TWICE)
        await tg_consent(tg, ONCE, name="Глеб")
        asked = [
            (TWICE, "Нет отопления в доме Советская 12, батареи холодные"),
            (TWICE, "Советская 12: отопления нет, батареи холодные"),
            (ONCE, "Батареи холодные, отопления нет в доме Советская 12"),
        ]
        for ticket, (user, question) in enumerate(asked, 1):
            tg.user_message(user, text=question)
            card = await wait(lambda t=ticket: card_for(tg, t))
            await wait(lambda c=card: card_recorded(app, c["message_id"]))
        third = card_for(tg, 3)
        assert third is not None
        card_id = third["message_id"]
        shown = tg.message(ADMIN_CHAT, card_id) or third
        tg.callback(MODERATOR, card_id, ADMIN_CHAT, tg_buttons(shown)["Ответить всем (3)"])
        await wait(
            lambda: "получат все: №3, №1, №2" in tg_text(tg.message(ADMIN_CHAT, card_id) or {})
        )
        reply = "Отопление в доме Советская 12 включат завтра."
        tg.user_message(MODERATOR, ADMIN_CHAT, text=reply, reply_to_message_id=card_id)
        to_twice = await wait(lambda: containing(tg.messages(TWICE), reply))
        to_once = await wait(lambda: containing(tg.messages(ONCE), reply))
        assert tg_text(to_twice[0]).startswith("Ответ на ваши вопросы №1, №2:")
        assert tg_text(to_once[0]).startswith("Ответ на ваш вопрос №3:")
        correction = "Уточнение: включат послезавтра."
        tg.user_message(MODERATOR, ADMIN_CHAT, text=correction, reply_to_message_id=card_id)
        fixed = await wait(lambda: containing(tg.messages(TWICE), correction))
        assert tg_text(fixed[0]).startswith("Уточнение к ответу на ваши вопросы №1, №2:")
        assert len(containing(tg.messages(TWICE), reply)) == 1
