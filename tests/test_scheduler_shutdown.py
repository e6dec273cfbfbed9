"""Stopping the scheduler lets a planner's run under way finish instead of cancelling it.

APScheduler's asyncio executor cancels the jobs still running when it shuts down; a
planner cancelled mid-query ended in a traceback in the app's log at every other stop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from scheduler.runner import Scheduler


class SlowPlanner:
    """A planner whose look ahead waits until the test lets it go (a slow query)."""

    name = "slow"

    def __init__(self) -> None:
        self.calls = 0
        self.inside = asyncio.Event()
        self.release = asyncio.Event()
        self.finished = 0

    async def run_due(self, now: datetime) -> None:
        return None

    async def upcoming(self, now: datetime, until: datetime) -> Sequence[datetime]:
        self.calls += 1
        if self.calls == 1:
            return []  # the first sync runs inside start(), not as a job
        self.inside.set()
        await self.release.wait()
        self.finished += 1
        return []


async def test_a_sync_under_way_finishes_when_the_scheduler_stops(
    caplog: pytest.LogCaptureFixture,
) -> None:
    planner = SlowPlanner()
    scheduler = Scheduler([planner], ZoneInfo("Asia/Novosibirsk"), sync_seconds=0.05)
    await scheduler.start()
    await asyncio.wait_for(planner.inside.wait(), 10)  # the interval job is in the query

    with caplog.at_level(logging.ERROR):
        stopping = asyncio.create_task(scheduler.shutdown(grace=10))
        planner.release.set()  # the query ends while the scheduler is stopping
        await asyncio.wait_for(stopping, 10)

    assert planner.finished == 1
    assert not scheduler.aps.running
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
