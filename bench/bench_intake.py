"""Hotline intake rate through the fake Telegram server, beside a bare aiogram bot.

Bare: the updates go to an aiogram bot whose one handler replies with ``message.answer``
(one sendMessage per update), polled from the same fake in the same run.
End to end (the figure to compare with the bare bot: the same work): the whole app
(``bots.app.App``) with the outbox running, getUpdates → the hotline conversation →
question stored → the confirmation delivered to the citizen's chat (its outbox row
``sent``, i.e. the fake accepted it); the cards go to the admin chat as well. Limits are
off on both sides: the fake's and the outbox's pacing.
Intake only (the older figure, kept for comparison with earlier sessions; NOT the same
work as the bare bot): question stored, confirmation and card queued, the outbox not
running.
Every citizen has consented beforehand and one hotline is open.

Run: python -m bench.bench_intake [--updates 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from aiogram import Dispatcher, Router
from aiogram.types import Message
from sqlalchemy import func, select

from bots.app import App
from bots.telegram.client import make_bot
from bots.telegram.platform import TelegramRuntime
from shared import hotlines
from shared.clock import utcnow
from shared.domain import OutboxState
from shared.hotlines import campaigns
from shared.hotlines.refs import HotlineRef
from shared.services import Services
from shared.storage import citizens
from shared.storage.migrate import upgrade
from shared.storage.schema import outbox, questions
from simulators.telegram import FakeTelegram
from tests.harness import prepare_telegram, settings_for

BASE = 700000
# On a loaded machine a request may wait seconds for the CPU: the tests' 3 s timeout would
# lose replies (the bare bot's) or leave sends unknown (ours) and the run would never end.
PATIENT = {"telegram": {"request_timeout": 60}}
# Our side's limits off: the outbox paces nothing (the fake runs with limits=False too).
UNPACED = {
    "telegram_global_per_second": 1e9,
    "telegram_private_per_second": 1e9,
    "telegram_private_burst": 10**9,
    "telegram_group_per_minute": 1e9,
}


async def bare(tg: FakeTelegram, users: list[int]) -> float:
    bot = make_bot(settings_for(Path("/nonexistent"), tg, overrides=PATIENT).telegram)
    router = Router(name="bare")
    done = asyncio.Event()
    seen = 0

    @router.message()
    async def reply(message: Message) -> None:
        nonlocal seen
        await message.answer("Спасибо, вопрос принят")
        seen += 1
        if seen == len(users):
            done.set()

    dp = Dispatcher()
    dp.include_router(router)
    task = asyncio.create_task(
        dp.start_polling(bot, handle_signals=False, close_bot_session=False, polling_timeout=1)
    )
    await asyncio.sleep(0.3)
    started = time.perf_counter()
    for uid in users:
        tg.user_message(uid, text=f"Вопрос {uid}")
    await done.wait()
    elapsed = time.perf_counter() - started
    await dp.stop_polling()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await bot.session.close()
    return len(users) / elapsed


async def ours(
    tg: FakeTelegram, tmp: Path, users: list[int], threshold: int
) -> tuple[float, int, int]:
    tmp.mkdir()
    settings = settings_for(
        tmp,
        tg,
        overrides={
            "hotline": {"throttle_messages": 10**6, "card_backlog_threshold": threshold},
            **PATIENT,
        },
    )
    services = Services.build(settings)
    hotlines.install(services)
    await upgrade(services.db)
    now = utcnow()
    async with services.db.write() as conn:
        hotline = await campaigns.create(
            conn, topic="Отопление", starts_at=now - timedelta(minutes=1),
            ends_at=now + timedelta(hours=2), created_by="bench",
        )  # fmt: skip
        for uid in users:
            c = await citizens.get_or_create(conn, "telegram", str(uid))
            await citizens.set_fields(conn, c.id, consent_at=now, display_name="Житель")
    for planner in services.planners:
        await planner.run_due(utcnow())
    assert hotline.id
    runtime = TelegramRuntime(services)
    await runtime.start()
    await asyncio.sleep(0.3)
    started = time.perf_counter()
    for uid in users:
        tg.user_message(uid, text=f"Вопрос {uid}")
    while True:
        # Done when every question is stored and either carded or counted in the summary.
        async with services.db.read() as conn:
            stored = (await conn.execute(select(func.count()).select_from(questions))).scalar_one()
            cards = (
                await conn.execute(select(func.count()).where(outbox.c.ref_type == "card"))
            ).scalar_one()
            summary = (
                await conn.execute(select(outbox.c.payload).where(outbox.c.ref_type == "backlog"))
            ).scalar_one_or_none()
        summarised = int((summary or {}).get("extra", {}).get("count", 0))
        if stored >= len(users) and cards + summarised >= len(users):
            break
        await asyncio.sleep(0.01)
    elapsed = time.perf_counter() - started
    await runtime.stop()
    await runtime.close()
    await services.db.dispose()
    return len(users) / elapsed, int(stored), int(cards)


async def end_to_end(
    tg: FakeTelegram, tmp: Path, users: list[int], workers: int | None
) -> tuple[float, int]:
    """Updates/s from the first update to the last confirmation delivered."""
    tmp.mkdir()
    outbox_settings: dict[str, Any] = dict(UNPACED)
    if workers is not None:
        outbox_settings["workers"] = workers
    settings = settings_for(
        tmp,
        tg,
        overrides={"hotline": {"throttle_messages": 10**6}, "outbox": outbox_settings, **PATIENT},
    )
    app = App(settings)
    await app.start()
    try:
        now = utcnow()
        async with app.services.db.write() as conn:
            await campaigns.create(
                conn, topic="Отопление", starts_at=now - timedelta(minutes=1),
                ends_at=now + timedelta(hours=2), created_by="bench",
            )  # fmt: skip
            for uid in users:
                c = await citizens.get_or_create(conn, "telegram", str(uid))
                await citizens.set_fields(conn, c.id, consent_at=now, display_name="Житель")
        assert app.scheduler is not None
        await app.scheduler.sync()  # opens the hotline (its announcement goes out first)
        while await _count(app, outbox.c.state != OutboxState.SENT.value):
            await asyncio.sleep(0.05)
        delivered = outbox.c.ref_type == HotlineRef.CITIZEN.value
        before = await _count(app, delivered, outbox.c.state == OutboxState.SENT.value)
        started = time.perf_counter()
        for uid in users:
            tg.user_message(uid, text=f"Вопрос {uid}")
        stored_at = None
        while True:
            sent = await _count(app, delivered, outbox.c.state == OutboxState.SENT.value)
            if stored_at is None and await _stored(app) >= len(users):
                stored_at = time.perf_counter() - started
            if sent - before >= len(users):
                break
            await asyncio.sleep(0.02)
        elapsed = time.perf_counter() - started
        print(
            f"  end to end: every question stored after {stored_at or elapsed:.1f} s,"
            f" the last confirmation delivered after {elapsed:.1f} s"
        )
    finally:
        await app.stop()
    confirmed = {uid: 0 for uid in users}
    for call in tg.requests("sendMessage"):
        chat = str(call["params"].get("chat_id", ""))
        if call["ok"] and chat.isdigit() and int(chat) in confirmed:
            confirmed[int(chat)] += 1
    assert set(confirmed.values()) == {1}, "each citizen gets exactly one confirmation"
    return len(users) / elapsed, sent - before


async def _stored(app: App) -> int:
    async with app.services.db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(questions))).scalar_one())


async def _count(app: App, *where: Any) -> int:
    async with app.services.db.read() as conn:
        return int(
            (
                await conn.execute(select(func.count()).select_from(outbox).where(*where))
            ).scalar_one()
        )


async def main(updates: int, e2e_only: bool = False, workers: int | None = None) -> None:
    with tempfile.TemporaryDirectory() as tmp, FakeTelegram(limits=False) as tg:
        prepare_telegram(tg)
        users = [BASE + n for n in range(updates)]
        for uid in users:
            tg.add_user(uid, "Житель")
        bare_rate = await bare(tg, users)
        print(f"updates: {updates}")
        print(f"bare aiogram bot (reply delivered): {bare_rate:,.0f} updates/s")
        batch = [uid + 2 * updates for uid in users]
        for uid in batch:
            tg.add_user(uid, "Житель")
        rate, delivered = await end_to_end(tg, Path(tmp) / "e2e", batch, workers)
        shown = f", {workers} outbox workers" if workers is not None else ""
        print(
            f"END TO END, confirmation delivered (outbox running{shown}, limits off): {rate:,.0f}"
            f" updates/s = {rate / bare_rate:.2f} of bare (confirmations sent {delivered})"
        )
        if e2e_only:
            return
        for label, threshold, offset in (
            ("default backlog threshold (15): cards, then one summary", 15, 0),
            ("every question carded (threshold off)", 10**9, updates),
        ):
            label = f"INTAKE ONLY, nothing delivered (outbox not running), {label}"
            batch = [uid + offset for uid in users]
            for uid in batch:
                tg.add_user(uid, "Житель")
            rate, stored, cards = await ours(tg, Path(tmp) / str(threshold), batch, threshold)
            print(
                f"{label}: {rate:,.0f} updates/s = {rate / bare_rate:.2f}"
                f" of bare (stored {stored}, cards {cards})"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument(
        "--e2e-only",
        action="store_true",
        help="only the bare bot and the end-to-end figure (e.g. under py-spy)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="outbox workers in the end-to-end run (default: the setting's default, 8)",
    )
    args = parser.parse_args()
    asyncio.run(main(args.updates, args.e2e_only, args.workers))
