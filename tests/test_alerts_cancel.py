"""Cancelling an alert mid-way: the notices not yet sent are dropped, the rest reported,
and the figures still add up."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.alerts import service
from shared.errors import Conflict
from simulators.telegram import FakeTelegram
from tests.alerts_harness import adds_up, done, send, subscribers
from tests.harness import ADMIN_CHAT, MODERATOR
from tests.hotline_harness import containing, running, tg_text, wait

PEOPLE = list(range(720000, 720200))
TEXT = "Перекрыт мост через Енисей"


def delivered(tg: FakeTelegram) -> int:
    return len([m for m in tg.messages() if TEXT in str(m.get("text") or "")])


async def test_cancel_mid_way(tmp_path: Path, tg: FakeTelegram) -> None:
    for user_id in PEOPLE:
        tg.add_user(user_id, "Житель")
    async with running(tmp_path, tg) as app:
        services = app.services
        await subscribers(services, "telegram", PEOPLE)
        alert_id = await send(services, TEXT)
        await wait(lambda: delivered(tg) >= 20, timeout=30)
        tg.user_message(MODERATOR, ADMIN_CHAT, text=f"/alert_cancel {alert_id}")
        await wait(lambda: done(services, alert_id), timeout=30)
        alert, figures = await service.status(services, alert_id)
        assert 20 <= figures.sent < len(PEOPLE), "cancelled mid-way"
        assert figures.cancelled > 0
        assert figures.sent + figures.cancelled + figures.unknown + figures.failed == 200
        assert adds_up(figures)
        assert delivered(tg) >= figures.sent
        assert delivered(tg) <= figures.sent + figures.unknown
        for user_id in PEOPLE:
            assert len(tg.messages(user_id)) <= 1, user_id
        summary = (await wait(lambda: containing(tg.messages(ADMIN_CHAT), "отменено:")))[-1]
        # The summary is of the moment of the cancel: sends then out are "в пути".
        assert f"отменено {figures.cancelled};" in tg_text(summary)
        assert "из 200" in tg_text(summary)
        with pytest.raises(Conflict):
            await service.cancel(services, alert_id, "test")
        assert app.scheduler is not None
        await app.scheduler.sync()  # the planner leaves a cancelled alert alone
        again, _ = await service.status(services, alert_id)
        assert again.state is alert.state
