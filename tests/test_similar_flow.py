"""Similar questions end to end, on both engines: the real app against the strict fakes.

Citizens on Telegram and VK ask the same question; the card names the look-alikes, «Ответить
всем» fixes the group, a moderator takes one question out, and one reply to the card
reaches each remaining citizen on their own platform, each question answered by that
moderator.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import select

from shared.storage.schema import answers
from simulators.telegram import FakeTelegram
from simulators.vk import FakeVK
from tests.harness import ADMIN_CHAT, MODERATOR
from tests.hotline_harness import (
    card_for,
    card_recorded,
    containing,
    fast_overrides,
    open_hotline,
    question_rows,
    running,
    tg_buttons,
    tg_consent,
    tg_text,
    vk_consent,
    wait,
)

POSTGRES_URL = os.environ.get("GLASHATAI_TEST_POSTGRES_URL")

TG_FIRST, TG_OTHER = 400001, 400002
VK_SECOND, VK_THIRD = 500001, 500002


def _said(vk: FakeVK, peer: int, needle: str) -> list[dict[str, Any]]:
    return [m for m in vk.messages(peer) if needle in m["message"]]


def _current(tg: FakeTelegram, ticket: int) -> dict[str, Any]:
    card = card_for(tg, ticket)
    assert card is not None
    return tg.message(ADMIN_CHAT, card["message_id"]) or card


async def test_card_names_similar_and_one_reply_answers_the_group(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK, database_url: str
) -> None:
    overrides = fast_overrides(database={"url": database_url})
    async with running(tmp_path, tg, vk, overrides=overrides) as app:
        await open_hotline(app)
        await tg_consent(tg, TG_FIRST)
        await vk_consent(vk, VK_SECOND)
        await vk_consent(vk, VK_THIRD, first="Ирина")
        await tg_consent(tg, TG_OTHER, name="Глеб")
        asked = [
            ("tg", TG_FIRST, "Когда включат отопление в доме Советская 12?"),
            ("vk", VK_SECOND, "советская 12 отопления нет уже неделю"),
            ("tg", TG_OTHER, "Яма на дороге на Кирова у остановки, когда заделают?"),
            ("vk", VK_THIRD, "Нет отопления на Советской 12, батареи холодные"),
        ]
        for ticket, (platform, user, question) in enumerate(asked, 1):
            if platform == "tg":
                tg.user_message(user, text=question)
            else:
                vk.user_message(user, question)
            card = await wait(lambda t=ticket: card_for(tg, t))
            await wait(lambda c=card: card_recorded(app, c["message_id"]))

        # Each card names the waiting look-alikes that came before it, and only those.
        assert "Похож" not in tg_text(_current(tg, 1))
        assert "🔁 Похожие: №1" in tg_text(_current(tg, 2))
        assert "Похож" not in tg_text(_current(tg, 3))
        fourth = _current(tg, 4)
        assert "🔁 Похожие: №2, №1" in tg_text(fourth)
        assert "Ответить всем (3)" in tg_buttons(fourth)

        # «Ответить всем» fixes the group; №2 is then taken out of it.
        card_id = fourth["message_id"]
        tg.callback(MODERATOR, card_id, ADMIN_CHAT, tg_buttons(fourth)["Ответить всем (3)"])
        grouped = await wait(
            lambda: (m := tg.message(ADMIN_CHAT, card_id)) and "Убрать №2" in tg_buttons(m) and m
        )
        assert "получат все: №4, №2, №1" in tg_text(grouped)
        tg.callback(MODERATOR, card_id, ADMIN_CHAT, tg_buttons(grouped)["Убрать №2"])
        await wait(lambda: (m := tg.message(ADMIN_CHAT, card_id)) and "все: №4, №1" in tg_text(m))
        assert "Убрать №2" not in tg_buttons(tg.message(ADMIN_CHAT, card_id) or {})

        # One reply to the card: each citizen of the group, on their own platform.
        reply = "Отопление в доме Советская 12 включат завтра к полудню."
        tg.user_message(MODERATOR, ADMIN_CHAT, text=reply, reply_to_message_id=card_id)
        on_vk = await wait(lambda: _said(vk, VK_THIRD, reply))
        on_tg = await wait(lambda: containing(tg.messages(TG_FIRST), reply))
        assert "Ответ на ваш вопрос №4" in on_vk[0]["message"]
        assert "Ответ на ваш вопрос №1" in tg_text(on_tg[0])
        # The card names the others once their answers are recorded, and shows its own
        # delivery: both, whichever came first.
        await wait(
            lambda: (
                "получили также: №1" in (text := tg_text(tg.message(ADMIN_CHAT, card_id) or {}))
                and "Доставлено." in text
            )
        )
        await wait(lambda: "Доставлено." in tg_text(_current(tg, 1)))
        assert not _said(vk, VK_SECOND, reply), "taken out of the group: not answered"
        assert not containing(tg.messages(TG_OTHER), reply)
        assert len(_said(vk, VK_THIRD, reply)) == 1
        assert len(containing(tg.messages(TG_FIRST), reply)) == 1

        rows = await question_rows(app.services.db)
        assert [r["status"] for r in rows] == ["answered", "new", "new", "answered"]
        async with app.services.db.read() as conn:
            given = (await conn.execute(select(answers).order_by(answers.c.question_id))).all()
        assert [(a.question_id, a.moderator_id, a.text) for a in given] == [
            (1, MODERATOR, reply),
            (4, MODERATOR, reply),
        ]
        # The question taken out no longer names or joins a group.
        await wait(lambda: "Похож" not in tg_text(_current(tg, 2)))
