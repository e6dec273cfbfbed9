"""Numbers in the admin chat's commands: only ASCII digits are a number.

``str.isdigit`` takes «١» (an Arabic-Indic one, which ``int`` reads as 1: ``/close_hotline ١``
closed hotline №1, ``/ban ١`` banned the author of question №1) and «²» (which ``int``
refuses: the moderator heard nothing); a number past the database's integer failed in the
query, in silence. Each now gets one line: how to write the command, or which record does
not exist."""

from __future__ import annotations

from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import pytest

from bots.app import App
from shared.domain import OutboxState
from shared.hotlines import campaigns
from shared.hotlines.refs import HotlineRef
from shared.storage import citizens
from simulators.telegram import FakeTelegram
from tests.harness import ADMIN_CHAT, MODERATOR
from tests.hotline_harness import (
    card_for,
    card_recorded,
    cards,
    containing,
    handled_updates,
    hotline_people,
    open_hotline,
    outbox_idle,
    outbox_rows,
    question_rows,
    running,
    tg_buttons,
    tg_consent,
    tg_text,
    wait,
)

CITIZEN = 7001
HUGE = "99999999999999999999"
CLOSE_USAGE = "Не получилось: /close_hotline ID"
BAN_USAGE = "Ответьте командой на карточку вопроса или укажите номер"
DIGEST_USAGE = "Напишите номер горячей линии: /digest 3"
DAYS_USAGE = "Напишите номер горячей линии и за сколько дней"
ALERT_USAGE = "/alert_cancel ID — отменить оповещение."

# A command and the one line it gets.
ANSWERS = [
    ("/close_hotline ١", CLOSE_USAGE),
    ("/ban ١", BAN_USAGE),
    ("/ban ²", BAN_USAGE),
    ("/digest ²", DIGEST_USAGE),
    ("/answer_days 1 ²", DAYS_USAGE),
    ("/alert_cancel ٣", ALERT_USAGE),
    (f"/ban {HUGE}", f"Вопроса №{HUGE} нет."),
    ("/ban №55", "Вопроса №55 нет."),
    (f"/close_hotline {HUGE}", f"Горячей линии №{HUGE} нет."),
    ("/close_hotline 55", "Горячей линии №55 нет."),
    (f"/digest {HUGE}", f"Горячей линии №{HUGE} нет."),
    ("/digest #55", "Горячей линии №55 нет."),
    (f"/answer_days {HUGE}", f"Горячей линии №{HUGE} нет."),
    (f"/answer_days {HUGE} 10", f"Горячей линии №{HUGE} нет."),
    (f"/alert_status {HUGE}", f"Оповещения №{HUGE} нет."),
    ("/alert_cancel 55", "Оповещения №55 нет."),
]


@pytest.fixture
def tg(tg: FakeTelegram) -> FakeTelegram:
    return hotline_people(tg)


async def said_to(tg: FakeTelegram, app: App, command: str) -> list[str]:
    """The moderator sends ``command``; what the bot said in the admin chat after it."""
    before = len(tg.messages(ADMIN_CHAT))
    with handled_updates() as handled:
        update = tg.user_message(MODERATOR, ADMIN_CHAT, text=command)
        await wait(lambda: handled.all([update]))
    await wait(lambda: outbox_idle(app.services.db))
    return [tg_text(m) for m in tg.messages(ADMIN_CHAT)[before:] if m["from"]["is_bot"]]


async def test_each_odd_number_gets_one_line_and_nothing_is_acted_on(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    async with running(tmp_path, tg) as app:
        hotline = await open_hotline(app)
        await tg_consent(tg, CITIZEN)
        tg.user_message(CITIZEN, text="Когда дадут тепло?")
        await wait(lambda: cards(tg))
        await wait(lambda: outbox_idle(app.services.db))

        heard = {command: await said_to(tg, app, command) for command, _ in ANSWERS}
        wrong = {
            command: heard[command]
            for command, line in ANSWERS
            if len(heard[command]) != 1 or line not in heard[command][0]
        }
        assert wrong == {}

        (question,) = await question_rows(app.services.db)
        async with app.services.db.read() as conn:
            still = await campaigns.get(conn, hotline)
            author = await citizens.get(conn, question["citizen_id"])
        assert still.status.value == "open"
        assert author is not None
        assert not author.banned


async def test_ascii_numbers_still_work_with_a_number_sign(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    async with running(tmp_path, tg) as app:
        hotline = await open_hotline(app)
        await tg_consent(tg, CITIZEN)
        tg.user_message(CITIZEN, text="Когда дадут тепло?")
        await wait(lambda: cards(tg))
        await wait(lambda: outbox_idle(app.services.db))
        assert any("заблокирован" in line for line in await said_to(tg, app, "/ban № 1"))
        closing = await said_to(tg, app, f"/close_hotline №{hotline}")
        assert any(f"№{hotline}" in line and "Отопление" in line for line in closing), closing


WINDOW = 90  # seconds: more than the admin chat's rate window (20 messages a minute)

SIMILAR = [
    "Когда включат отопление в доме Советская 12?",
    "советская 12 отопления нет уже неделю",
    "Нет отопления на Советской 12, батареи холодные",
    "В доме на Советской 12 холодные батареи, когда дадут отопление?",
    "Советская 12 — отопление не включили до сих пор",
    "отопления нет советская 12 кв 5",
    "Когда дадут отопление на Советская 12? Холодно",
    "Советская, 12: батареи ледяные, отопления нет",
]


async def pending_edits(app: App) -> set[int]:
    """The card edits waiting in the outbox for their turn in the admin chat."""
    rows = await outbox_rows(
        app.services.db, ref_type=HotlineRef.CARD_EDIT.value, state=OutboxState.PENDING.value
    )
    return {int(row["id"]) for row in rows}


async def test_a_command_is_answered_ahead_of_a_group_answers_card_edits(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    """A group answer of eight edits eight cards, several times each, at the admin chat's
    20 messages a minute. A /queue sent while they wait is answered before them: the reply
    is in the fake's log ahead of edits that were queued before the command."""
    async with running(tmp_path, tg) as app:
        await open_hotline(app)
        for n, question in enumerate(SIMILAR, 1):
            await tg_consent(tg, CITIZEN + n, name=f"Житель{n}")
            tg.user_message(CITIZEN + n, text=question)
            card = await wait(lambda t=n: card_for(tg, t), timeout=30)
            await wait(lambda c=card: card_recorded(app, c["message_id"]))
        last = card["message_id"]
        shown = await wait(lambda: with_button(tg, last, "Ответить всем"))
        everyone = next(k for k in tg_buttons(shown) if k.startswith("Ответить всем"))
        tg.callback(MODERATOR, last, ADMIN_CHAT, tg_buttons(shown)[everyone])
        await wait(lambda: "получат все" in tg_text(tg.message(ADMIN_CHAT, last) or {}))
        tg.user_message(MODERATOR, ADMIN_CHAT, text="Включим завтра.", reply_to_message_id=last)
        await wait(lambda: containing(tg.messages(CITIZEN + 1), "Включим завтра"))
        waiting = await wait(lambda: several(pending_edits(app)))

        tg.user_message(MODERATOR, ADMIN_CHAT, text="/queue")
        # The burst may have spent the admin chat's minute (20 messages): then nothing goes
        # there until the window frees, and the reply is the first thing that does.
        await wait(lambda: containing(tg.messages(ADMIN_CHAT), "Очередь"), timeout=WINDOW)
        # The reply is out while edits queued before the command still wait their turn…
        assert waiting & await pending_edits(app), "/queue was answered after the card edits"
        # …and the fake's log has the reply ahead of the edits that were waiting before it.
        reply_at = next(i for i, r in enumerate(tg.requests()) if is_queue_page(r))
        await wait(lambda: edited_after(tg, reply_at), timeout=WINDOW)


async def several(found: Awaitable[set[int]]) -> set[int] | None:
    """The edits waiting, once there are several of them."""
    edits = await found
    return edits if len(edits) > 3 else None


def is_queue_page(request: dict[str, Any]) -> bool:
    text = str(request["params"].get("text") or "")
    return request["method"] == "sendMessage" and "Очередь" in text and bool(request["ok"])


def edited_after(tg: FakeTelegram, position: int) -> bool:
    log = tg.requests()[position + 1 :]
    return any(r["method"] == "editMessageText" and r["ok"] for r in log)


def with_button(tg: FakeTelegram, message_id: int, prefix: str) -> dict[str, Any] | None:
    card = tg.message(ADMIN_CHAT, message_id) or {}
    return card if any(k.startswith(prefix) for k in tg_buttons(card)) else None
