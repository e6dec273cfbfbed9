"""«Ответить всем» on a card whose own citizen then withdraws («Удалить мои данные»): the
reply to that card still reaches the rest of the group, and the moderator is told who got
it; nothing of the withdrawn citizen's question is kept but the group's ids."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from shared.storage.schema import question_similar, question_terms
from simulators.telegram import FakeTelegram
from simulators.vk import FakeVK
from tests.harness import ADMIN_CHAT, MODERATOR
from tests.hotline_harness import (
    card_for,
    card_recorded,
    containing,
    open_hotline,
    question_rows,
    running,
    tg_buttons,
    tg_consent,
    tg_text,
    vk_consent,
    wait,
)

TG_A, VK_B, TG_C = 400011, 500011, 400012


def _said(vk: FakeVK, peer: int, needle: str) -> list[dict[str, Any]]:
    return [m for m in vk.messages(peer) if needle in m["message"]]


async def test_the_group_is_answered_when_the_cards_own_citizen_withdrew(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    async with running(tmp_path, tg, vk) as app:
        await open_hotline(app)
        await tg_consent(tg, TG_A)
        await vk_consent(vk, VK_B)
        await tg_consent(tg, TG_C, name="Глеб")
        asked = [
            lambda: tg.user_message(
                TG_A, text="Нет отопления в доме Советская 12, батареи холодные"
            ),
            lambda: vk.user_message(VK_B, "Советская 12: отопления нет, батареи холодные"),
            lambda: tg.user_message(
                TG_C, text="Батареи холодные, отопления нет в доме Советская 12"
            ),
        ]
        for ticket, ask in enumerate(asked, 1):  # one by one: ticket N is the Nth asker's
            ask()
            card = await wait(lambda t=ticket: card_for(tg, t))
            await wait(lambda c=card: card_recorded(app, c["message_id"]))
        third = card_for(tg, 3)
        assert third is not None
        card_id = third["message_id"]
        shown = tg.message(ADMIN_CHAT, card_id) or third
        tg.callback(MODERATOR, card_id, ADMIN_CHAT, tg_buttons(shown)["Ответить всем (3)"])
        await wait(lambda: "получат все" in tg_text(tg.message(ADMIN_CHAT, card_id) or {}))

        tg.user_message(TG_C, text="Удалить мои данные")
        await wait(lambda: containing(tg.messages(TG_C), "Ваши данные удалены"))
        async with app.services.db.read() as conn:
            kept = (
                await conn.execute(
                    select(question_similar).where(question_similar.c.question_id == 3)
                )
            ).one()
            terms = (
                await conn.execute(select(question_terms).where(question_terms.c.question_id == 3))
            ).all()
        assert (kept.lemmas, terms) == ("", []), "the words are gone, the group's ids stay"

        reply = "Отопление в доме Советская 12 включат завтра к полудню."
        tg.user_message(MODERATOR, ADMIN_CHAT, text=reply, reply_to_message_id=card_id)
        await wait(lambda: containing(tg.messages(TG_A), reply))
        await wait(lambda: _said(vk, VK_B, reply))
        [told] = await wait(lambda: containing(tg.messages(ADMIN_CHAT), "ответ получили"))
        assert "Вопрос №3 закрыт" in tg_text(told)
        assert "№1, №2" in tg_text(told)
        assert not containing(tg.messages(TG_C), reply)
        statuses = [r["status"] for r in await question_rows(app.services.db)]
        assert statuses == ["answered", "answered", "rejected"]
