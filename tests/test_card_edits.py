"""Edits of a question's card: none that change nothing, and each against the card's
current messages, in order (the real app, aiogram and the outbox against the fake)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from bots.app import App
from bots.telegram.render import chunks
from config import Settings
from shared.delivered import Delivered
from shared.domain import OutboxAction, OutboxState
from shared.hotlines import cards, conversation
from shared.hotlines import questions as repo
from shared.hotlines.model import Incoming
from shared.outbox import store
from shared.outbox.model import OutboxMessage
from shared.outbox.payload import Button, edit, message
from shared.richtext import from_plain
from shared.storage.engine import Database
from simulators.telegram import FakeTelegram
from tests.harness import ADMIN_CHAT, MODERATOR, running_outbox, settings_for, settle
from tests.hotline_harness import (
    containing,
    fast_overrides,
    open_hotline,
    outbox_idle,
    question_rows,
    running,
    tg_consent,
    tg_text,
    wait,
)

CITIZEN = 7101


def refused_edits(tg: FakeTelegram) -> list[dict[str, Any]]:
    return [r for r in tg.requests() if r["method"].startswith("edit") and not r["ok"]]


async def ask(app: App, text: str) -> int:
    """A question through the core, as one message however long; returns its id."""
    before = len(await question_rows(app.services.db))
    await conversation(app.services).message(
        Incoming("telegram", str(CITIZEN), str(CITIZEN), text=text, known_name="Анна")
    )
    rows = await wait(lambda: _more(app.services.db, before))
    return int(rows[-1]["id"])


async def _more(db: Database, before: int) -> list[dict[str, Any]] | None:
    rows = await question_rows(db)
    return rows if len(rows) > before else None


def _at_least(found: list[dict[str, Any]], n: int) -> list[dict[str, Any]] | None:
    return found if len(found) >= n else None


def card_messages(tg: FakeTelegram, ticket: int) -> list[dict[str, Any]]:
    """The card's messages in the admin chat: its head and the parts that follow it."""
    sent = [m for m in tg.messages(ADMIN_CHAT) if not m.get("deleted")]
    head = next(
        (i for i, m in enumerate(sent) if tg_text(m).startswith(f"Вопрос №{ticket} ")), None
    )
    if head is None:
        return []
    out = [sent[head]]
    for m in sent[head + 1 :]:
        if tg_text(m).startswith("Вопрос №"):
            break
        out.append(m)
    return out


async def test_a_long_card_gets_no_edit_that_changes_nothing(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    async with running(tmp_path, tg) as app:
        await open_hotline(app)
        await tg_consent(tg, CITIZEN)
        text = "\n\n".join(f"Абзац {n}: " + "подробно про отопление. " * 30 for n in range(12))
        ticket = await ask(app, text)
        await wait(lambda: _at_least(card_messages(tg, ticket), 2))
        await wait(lambda: outbox_idle(app.services.db))
        parts = card_messages(tg, ticket)
        tg.user_message(
            MODERATOR, ADMIN_CHAT, text="Ответим.", reply_to_message_id=parts[0]["message_id"]
        )
        await wait(lambda: containing(tg.messages(CITIZEN), "Ответим."))
        await wait(lambda: "Доставлено." in tg_text(card_messages(tg, ticket)[-1]))
        await wait(lambda: outbox_idle(app.services.db))
        assert refused_edits(tg) == []
        assert len(card_messages(tg, ticket)) == len(parts)


async def test_edits_queued_together_apply_in_order_to_the_current_messages(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    # No "long question" note on the card: the question alone decides how many messages.
    overrides = fast_overrides(hotline={"max_question_length": 5000})
    async with running(tmp_path, tg, overrides=overrides) as app:
        await open_hotline(app)
        await tg_consent(tg, CITIZEN)
        first = await ask(app, "Когда дадут тепло?")
        await wait(lambda: card_messages(tg, first))
        length = await _one_message_until_marked(app, first)
        ticket = await ask(app, "Т" * length)
        (card,) = await wait(lambda: card_messages(tg, ticket))
        await wait(lambda: outbox_idle(app.services.db))
        services = app.services
        # The mark makes the card need a second message; the second refresh, queued before
        # the first edit went out, must edit what the first one left, not the card as sent.
        async with services.db.write() as conn:
            await repo.set_fields(conn, ticket, publishable=True)
            await cards.refresh(conn, services.settings, services.texts, ticket)
            await cards.refresh(conn, services.settings, services.texts, ticket)
        services.wake_outbox()
        await wait(lambda: outbox_idle(services.db))
        shown = card_messages(tg, ticket)
        assert [m["message_id"] for m in shown][:1] == [card["message_id"]]
        assert len(shown) == 2
        assert "Для публикации" in " ".join(tg_text(m) for m in shown)
        assert refused_edits(tg) == []
        assert len([r for r in tg.requests("sendMessage") if r["ok"]]) == len(
            [m for m in tg.messages() if not m.get("deleted")]
        )


async def _one_message_until_marked(app: App, question_id: int) -> int:
    """A question length whose card fits one message, and needs two once marked."""
    services = app.services
    async with services.db.write() as conn:  # rendering writes the buttons' tokens
        question = await repo.get(conn, question_id)
        assert question is not None

        async def parts(length: int, publishable: bool) -> int:
            probe = replace(question, text="Т" * length, publishable=publishable)
            doc, _ = await cards.render(conn, services.settings, services.texts, probe)
            return len(chunks(doc))

        low, high = 1, 4096  # one message at ``low``; two once marked at ``high``
        while high - low > 1:
            middle = (low + high) // 2
            if await parts(middle, True) == 1:
                low = middle
            else:
                high = middle
        assert await parts(high, False) == 1, "the mark adds too little to tell"
        return high


async def test_an_edit_with_a_target_goes_to_the_messages_the_target_has_now(
    db: Database, tmp_path: Path, tg: FakeTelegram
) -> None:
    """The outbox alone, on each engine: two edits of one send, queued together."""
    settings: Settings = settings_for(tmp_path, tg=tg)
    buttons = [[Button("Взять", token="take")]]
    short = from_plain("Вопрос: когда дадут тепло?")
    long = from_plain("\n\n".join(["Вопрос: когда дадут тепло? " * 120, "Ж" * 2000]))

    async def enqueue(action: OutboxAction, payload: dict[str, Any]) -> int:
        async with db.write() as conn:
            ref = {"ref_type": "probe_card", "ref_id": 1}
            made = OutboxMessage("telegram", action, str(ADMIN_CHAT), payload, **ref)
            return await store.enqueue(conn, made)

    async with running_outbox(db, settings, ["telegram"]):
        card = await enqueue(OutboxAction.SEND, message(short, buttons=buttons))
        (sent,) = await settle(db, [card])
        made = Delivered.from_dict(sent.result)
        assert made is not None
        ids = [int(i) for i in made.ids()]
        twice = edit(ids, long, buttons=buttons, target=card)
        first = await enqueue(OutboxAction.EDIT, twice)
        second = await enqueue(OutboxAction.EDIT, twice)
        edits = await settle(db, [first, second])
    assert [e.state for e in edits] == [OutboxState.SENT] * 2
    first_made, second_made = (Delivered.from_dict(e.result) for e in edits)
    assert first_made is not None
    assert second_made is not None
    assert len(first_made.ids()) == 2
    assert second_made.ids() == first_made.ids()
    assert len([r for r in tg.requests("sendMessage") if r["ok"]]) == 2  # the card, one tail
    # The first edit made one edit and sent the tail; the second made no call at all.
    assert [r["ok"] for r in tg.requests("editMessageText")] == [True]
