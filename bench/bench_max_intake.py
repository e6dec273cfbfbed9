"""Hotline intake rate through the fake MAX server, beside a bare maxapi bot, in one run.

Bare: the updates go to a maxapi bot (its ``Dispatcher`` polling ``GET /updates``) whose one
handler replies with ``send_message`` to the citizen (one ``POST /messages`` per update).
End to end (the same work): the whole app (``bots.app.App``) with MAX and the Telegram
admin chat, the outbox running: ``GET /updates`` → the hotline conversation → question
stored → the confirmation delivered to the citizen in MAX (its outbox row ``sent``); the
cards go to the admin chat as well. Limits are off on every side: both fakes' and the
outbox's pacing. Every citizen has consented beforehand and one hotline is open.

Run: python -m bench.bench_max_intake [--updates 1000]
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

from maxapi import Dispatcher
from maxapi.types.updates.message_created import MessageCreated
from sqlalchemy import func, select

from bots.app import App
from bots.max.client import make_bot
from config.settings import MaxSettings
from shared.clock import utcnow
from shared.domain import OutboxState
from shared.hotlines import campaigns
from shared.hotlines.refs import HotlineRef
from shared.storage import citizens
from shared.storage.schema import outbox, questions
from simulators.max import FakeMax
from simulators.max.state import BOT_USER_ID
from simulators.telegram import FakeTelegram
from tests.harness import prepare_telegram, settings_for

BASE = 800000
# On a loaded machine a request may wait seconds for the CPU: a short timeout would leave
# sends unknown and the run would never end.
PATIENT = {"request_timeout": 60, "longpoll_timeout": 1}
UNPACED = {"max_per_second": 1e9, "telegram_group_per_minute": 1e9}


def max_settings(fake: FakeMax) -> dict[str, Any]:
    return {"token": fake.token, "api_base": fake.base_url, "channel_id": fake.channel_id}


async def bare(fake: FakeMax, users: list[int]) -> float:
    bot = make_bot(MaxSettings(**max_settings(fake), **PATIENT))  # type: ignore[arg-type]
    dp = Dispatcher()
    done = asyncio.Event()
    seen = 0

    @dp.message_created()
    async def reply(event: MessageCreated) -> None:
        nonlocal seen
        sender = event.message.sender
        assert sender is not None
        await event.bot.send_message(user_id=sender.user_id, text="Спасибо, вопрос принят")
        seen += 1
        if seen == len(users):
            done.set()

    task = asyncio.create_task(dp.start_polling(bot))
    await asyncio.sleep(0.5)
    started = time.perf_counter()
    for uid in users:
        fake.user_message(uid, f"Вопрос {uid}")
    await done.wait()
    elapsed = time.perf_counter() - started
    await dp.stop_polling()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await bot.close_session()
    return len(users) / elapsed


async def _count(app: App, *where: Any) -> int:
    async with app.services.db.read() as conn:
        query = select(func.count()).select_from(outbox).where(*where)
        return int((await conn.execute(query)).scalar_one())


async def _stored(app: App) -> int:
    async with app.services.db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(questions))).scalar_one())


async def end_to_end(fake: FakeMax, tg: FakeTelegram, tmp: Path, users: list[int]) -> float:
    """Updates/s from the first update to the last confirmation delivered in MAX."""
    settings = settings_for(
        tmp,
        tg,
        overrides={
            "max": {**max_settings(fake), **PATIENT},
            "telegram": {"request_timeout": 60},
            "hotline": {"throttle_messages": 10**6},
            "outbox": UNPACED,
            "log_level": "WARNING",
        },
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
                c = await citizens.get_or_create(conn, "max", str(uid))
                await citizens.set_fields(conn, c.id, consent_at=now, display_name="Житель")
        assert app.scheduler is not None
        await app.scheduler.sync()
        while await _count(app, outbox.c.state != OutboxState.SENT.value):
            await asyncio.sleep(0.05)
        delivered = (outbox.c.ref_type == HotlineRef.CITIZEN.value, outbox.c.platform == "max")
        sent = (*delivered, outbox.c.state == OutboxState.SENT.value)
        before = await _count(app, *sent)
        started = time.perf_counter()
        for uid in users:
            fake.user_message(uid, f"Вопрос {uid}")
        stored_at = None
        while await _count(app, *sent) - before < len(users):
            if stored_at is None and await _stored(app) >= len(users):
                stored_at = time.perf_counter() - started
            await asyncio.sleep(0.02)
        elapsed = time.perf_counter() - started
        print(
            f"  end to end: every question stored after {stored_at or elapsed:.1f} s,"
            f" the last confirmation delivered after {elapsed:.1f} s"
        )
    finally:
        await app.stop()
    for uid in users:
        mine = [
            m
            for m in fake.dialog_messages(uid)
            if m["sender_id"] == BOT_USER_ID and "Номер вопроса" in m["text"]
        ]
        assert len(mine) == 1, f"citizen {uid} got {len(mine)} confirmations"
    return len(users) / elapsed


async def main(updates: int) -> None:
    with (
        tempfile.TemporaryDirectory() as tmp,
        FakeMax(limits=False) as fake,
        FakeTelegram(limits=False) as tg,
    ):
        prepare_telegram(tg)
        users = [BASE + n for n in range(updates)]
        bare_rate = await bare(fake, users)
        print(f"updates: {updates}")
        print(f"bare maxapi bot (reply delivered): {bare_rate:,.0f} updates/s")
        batch = [uid + updates for uid in users]
        rate = await end_to_end(fake, tg, Path(tmp), batch)
        print(
            f"END TO END, confirmation delivered in MAX (outbox running, limits off): {rate:,.0f}"
            f" updates/s = {rate / bare_rate:.2f} of bare"
        )
        assert fake.violations == [], fake.violations[:3]
        assert fake.internal_errors == []


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=1000)
    args = parser.parse_args()
    asyncio.run(main(args.updates))
