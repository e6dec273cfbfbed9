"""A 500-question burst into one hotline: nothing lost, the admin chat never flooded.

Both fakes keep every limit of the platforms except one, relaxed for time: the Telegram
fake allows a group 20 messages per 2 s instead of per 60 s, and the outbox is configured to
match (600 a minute), so the test meets the same pacing problem as production (the card
backlog) in seconds instead of minutes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.clock import utcnow
from shared.domain import OutboxState
from shared.storage import citizens
from simulators.telegram import FakeTelegram, LimitConfig
from simulators.vk import FakeVK
from tests.harness import ADMIN_CHAT, MODERATOR, prepare_telegram
from tests.hotline_harness import (
    cards,
    containing,
    fast_overrides,
    open_hotline,
    outbox_idle,
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
def fakes(vk: FakeVK) -> Iterator[tuple[FakeTelegram, FakeVK]]:
    # Relaxed: the group window is 2 s instead of 60 s (see the module docstring).
    limits = LimitConfig(group_window=2.0)
    with FakeTelegram(limit_config=limits) as tg:
        prepare_telegram(tg)
        yield tg, vk
        assert tg.internal_errors == []


async def test_burst_of_500_nothing_lost_no_flood(
    tmp_path: Path, fakes: tuple[FakeTelegram, FakeVK]
) -> None:
    tg, vk = fakes
    overrides = fast_overrides(outbox={"telegram_group_per_minute": 600.0})
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

        await wait(stored, timeout=60, interval=0.2)
        # A moderator is not blocked by the backlog: /next is answered straight away.
        tg.user_message(MODERATOR, ADMIN_CHAT, text="/next")
        await wait(lambda: containing(tg.messages(ADMIN_CHAT), "Взял(а): Мария"), timeout=15)
        summary = await wait(
            lambda: containing(tg.messages(ADMIN_CHAT), "Новых вопросов в очереди"), timeout=60
        )
        assert summary
        await wait(lambda: outbox_idle(app.services.db), timeout=120, interval=0.3)

        # Paced to the platforms' limits (a 429 is retried, never a failure): every row was
        # sent, but the pending card of the question /next took, which is cancelled.
        rows = await outbox_rows(app.services.db)
        done = {OutboxState.SENT.value, OutboxState.CANCELLED.value}
        assert {r["state"] for r in rows} <= done, {r["state"] for r in rows}
        questions = await question_rows(app.services.db)
        assert {q["status"] for q in questions} <= {"new", "assigned"}
        # Every citizen got exactly one ticket number.
        for n in range(PER_PLATFORM):
            assert len(containing(tg.messages(TG_BASE + n), "Номер вопроса")) == 1, n
            assert (
                len([m for m in vk.messages(VK_BASE + n) if "Номер вопроса" in m["message"]]) == 1
            ), n
        # Few messages in the admin chat: the threshold's worth of cards and summaries.
        admin = tg.messages(ADMIN_CHAT)
        assert len(admin) < 60, len(admin)
        carded = {q["id"] for q in questions if q["carded"]}
        shown = {int(tg_text(c).split("№")[1].split()[0]) for c in cards(tg)}
        assert shown == carded
        uncarded = [q for q in questions if not q["carded"]]
        last = containing(admin, "Новых вопросов в очереди")[-1]
        assert int(tg_text(last).split(":")[1].split()[0]) <= len(uncarded)
        assert len(carded) + len(uncarded) == 2 * PER_PLATFORM
