"""A 500-question burst into one hotline: nothing lost, the admin chat never flooded.

The fake enforces Telegram's group limit with a short window (20 messages per 2 s instead
of per minute) and the outbox is configured to match (600 a minute), so the test sees the
same pacing problem as production in a fraction of the time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.clock import utcnow
from shared.domain import OutboxState
from shared.storage import citizens
from tests.fakes.telegram import FakeTelegram, LimitConfig
from tests.fakes.vk import FakeVK
from tests.harness import ADMIN_CHAT, MODERATOR, prepare_telegram
from tests.hotline_harness import (
    cards,
    containing,
    fake_vk,
    fast_overrides,
    open_hotline,
    outbox_rows,
    question_rows,
    running,
    tg_text,
    wait,
)

PER_PLATFORM = 250
TG_BASE = 800000
VK_BASE = 900000


@pytest.fixture
def fakes() -> Iterator[tuple[FakeTelegram, FakeVK]]:
    limits = LimitConfig(
        global_rate=2000, global_burst=2000, private_rate=100, private_burst=100,
        group_limit=20, group_window=2.0,
    )  # fmt: skip
    tg = FakeTelegram(limits=True, limit_config=limits)
    tg.start()
    prepare_telegram(tg)
    vk = fake_vk()
    yield tg, vk
    vk.stop()
    tg.stop()


async def test_burst_of_500_nothing_lost_no_flood(
    tmp_path: Path, fakes: tuple[FakeTelegram, FakeVK]
) -> None:
    tg, vk = fakes
    overrides = fast_overrides(
        outbox={"telegram_group_per_minute": 600.0, "telegram_global_per_second": 1000.0}
    )
    async with running(tmp_path, tg, vk, overrides=overrides) as app:
        await open_hotline(app)
        async with app.services.db.write() as conn:
            for n in range(PER_PLATFORM):
                for platform, uid in (("telegram", TG_BASE + n), ("vk", VK_BASE + n)):
                    c = await citizens.get_or_create(conn, platform, str(uid))
                    await citizens.set_fields(
                        conn, c.id, consent_at=utcnow(), display_name="Житель"
                    )
        for n in range(PER_PLATFORM):
            tg.add_user(TG_BASE + n, "Житель")
            vk.add_user(VK_BASE + n, "Житель", "Тестов")
        for n in range(PER_PLATFORM):
            tg.user_message(TG_BASE + n, text=f"Вопрос из Telegram {n}")
            vk.user_message(VK_BASE + n, f"Вопрос из VK {n}")

        async def stored() -> bool:
            return len(await question_rows(app.services.db)) == 2 * PER_PLATFORM

        deadline = asyncio.get_running_loop().time() + 60
        while not await stored():
            assert asyncio.get_running_loop().time() < deadline, "questions were lost"
            await asyncio.sleep(0.2)
        # A moderator is not blocked by the backlog: /next is answered straight away.
        tg.user_message(MODERATOR, ADMIN_CHAT, text="/next")
        await wait(lambda: containing(tg.messages(ADMIN_CHAT), "Взял(а): Мария"), timeout=15)
        summary = await wait(
            lambda: containing(tg.messages(ADMIN_CHAT), "новых вопросов ждут"), timeout=15
        )
        assert summary

        async def settled() -> bool:
            rows = await outbox_rows(app.services.db)
            return all(r["state"] not in ("pending", "sending") for r in rows)

        deadline = asyncio.get_running_loop().time() + 90
        while not await settled():
            assert asyncio.get_running_loop().time() < deadline, "the outbox did not drain"
            await asyncio.sleep(0.3)

        rows = await outbox_rows(app.services.db)
        assert not [r for r in rows if r["state"] == OutboxState.FAILED.value]
        questions = await question_rows(app.services.db)
        assert {q["status"] for q in questions} <= {"new", "assigned"}
        # Every citizen got exactly one ticket number.
        for n in range(0, PER_PLATFORM, 25):
            assert len(containing(tg.messages(TG_BASE + n), "Номер вопроса")) == 1
            assert (
                len([m for m in vk.messages(VK_BASE + n) if "Номер вопроса" in m["message"]]) == 1
            )
        # Few messages in the admin chat: the threshold's worth of cards and summaries.
        admin = tg.messages(ADMIN_CHAT)
        assert len(admin) < 60, len(admin)
        carded = {q["id"] for q in questions if q["carded"]}
        shown = {int(tg_text(c).split("№")[1].split()[0]) for c in cards(tg)}
        assert shown == carded
        uncarded = [q for q in questions if not q["carded"]]
        last = containing(admin, "новых вопросов ждут")[-1]
        assert int(tg_text(last).split()[0]) <= len(uncarded)
        assert len(carded) + len(uncarded) == 2 * PER_PLATFORM
        stats = tg.stats()
        print("fake stats", stats, "admin messages", len(admin))
