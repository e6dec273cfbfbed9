"""Queueing interrupted mid-way (the process that queued an alert was killed between two
batches): the running app's planner resumes after the last committed batch, and nobody is
queued twice."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from shared.alerts import feature, planner, service
from shared.alerts.model import AlertState
from simulators.telegram import FakeTelegram
from tests.alerts_harness import adds_up, done, subscribers
from tests.hotline_harness import outbox_rows, running, wait

PEOPLE = list(range(730000, 730025))


async def test_planner_resumes_an_interrupted_enqueue(
    tmp_path: Path, tg: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    for user_id in PEOPLE:
        tg.add_user(user_id, "Житель")
    monkeypatch.setattr(service, "BATCH", 10)  # 25 subscribers: three batches
    monkeypatch.setattr(planner, "STALLED", timedelta(0))  # no 20 s wait in a test
    async with running(tmp_path, tg) as app:
        services = app.services
        await subscribers(services, "telegram", PEOPLE)
        topic = feature(services).find_topic("emergency")
        assert topic is not None
        alert_id = await service.create(services, topic=topic, text="Смерч", actor="test")
        assert await service.enqueue_batch(services, alert_id)  # one batch, then "killed"
        alert, _ = await service.status(services, alert_id)
        assert (alert.state, alert.queued) == (AlertState.ENQUEUEING, 10)
        assert app.scheduler is not None
        await app.scheduler.sync()  # the planner notes where the cursor stands
        await app.scheduler.sync()  # it has not moved: the planner queues the rest
        await wait(lambda: done(services, alert_id), timeout=30)
        alert, figures = await service.status(services, alert_id)
        assert alert.queued == 25
        assert figures.sent == 25
        assert adds_up(figures)
        rows = await outbox_rows(services.db, ref_type="alert", ref_id=alert_id)
        assert sorted(int(r["destination"]) for r in rows) == PEOPLE, "each queued once"
        for user_id in PEOPLE:
            assert len(tg.messages(user_id)) == 1
