"""APScheduler only wakes us up; what is due is always read from our tables.

Each planner answers two questions from the database: what is due now (it acts on it) and
when the next things fall due. A sync job re-asks both every ``sync_seconds`` (so posts and
hotlines created by the CLI in another process are picked up), and one-off date jobs wake
the planner exactly at each upcoming time.

Starting runs the planners once, but not one that waits on someone else's server (the
website's feed: ``reaches_out``): its first run goes on in the background, so a site that
hangs never holds the start up. Shutdown waits for it as for a sync under way.

``settle()`` runs, before the platforms poll, the planners whose due work decides how a
citizen's message is taken (``settles_intake``: hotlines that ended or started while the
app was down), so no message waiting at a restart is taken by the state before it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import Sequence
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from shared.clock import utcnow
from shared.planning import Planner

log = logging.getLogger(__name__)


class Scheduler:
    def __init__(
        self, planners: Sequence[Planner], timezone: ZoneInfo, sync_seconds: float = 30.0
    ) -> None:
        self.planners = list(planners)
        self.sync_seconds = sync_seconds
        self._running: weakref.WeakSet[asyncio.Task[Any]] = weakref.WeakSet()
        self._first: asyncio.Task[None] | None = None  # the outside planners' first run
        self.aps = AsyncIOScheduler(
            timezone=timezone,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )

    async def start(self) -> None:
        self.aps.start()
        self.aps.add_job(
            self.sync, "interval", seconds=self.sync_seconds, id="sync", replace_existing=True
        )
        outside = [p for p in self.planners if getattr(p, "reaches_out", False)]
        await self._plan([p for p in self.planners if p not in outside])
        if outside:
            self._first = asyncio.create_task(self._plan(outside), name="first-outside-run")
            self._running.add(self._first)

    async def settle(self) -> None:
        """Run the ``settles_intake`` planners once, before ``start()`` (which runs them
        again with the rest: ``run_due`` is idempotent)."""
        now = utcnow()
        for planner in self.planners:
            if not getattr(planner, "settles_intake", False):
                continue
            try:
                await planner.run_due(now)
            except Exception:
                log.exception("scheduler: planner %s failed; start retries", planner.name)

    async def sync(self) -> None:
        """The interval job: look ahead again (its task is waited for at shutdown)."""
        self._track()
        await self._plan()

    async def _plan(self, planners: Sequence[Planner] | None = None) -> None:
        now = utcnow()
        until = now + timedelta(seconds=self.sync_seconds * 2)
        for planner in self.planners if planners is None else planners:
            try:
                await planner.run_due(now)
                for when in await planner.upcoming(now, until):
                    self.aps.add_job(
                        self._wake,
                        "date",
                        run_date=when,
                        args=[planner],
                        id=f"{planner.name}@{when.isoformat()}",
                        replace_existing=True,
                    )
            except Exception:
                log.exception("scheduler: planner %s failed; next sync retries", planner.name)

    async def _wake(self, planner: Planner) -> None:
        self._track()
        try:
            await planner.run_due(utcnow())
        except Exception:
            log.exception("scheduler: planner %s failed", planner.name)

    def _track(self) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)

    async def shutdown(self, grace: float = 5.0) -> None:
        """Stop waking planners, and let a planner's run under way end before the database
        closes under it (cancelled mid-query, it would end in a traceback in the log).

        Paused first, shut down after the wait: APScheduler's asyncio executor cancels the
        jobs still running when it shuts down."""
        if self.aps.running:
            self.aps.pause()
        running = [t for t in self._running if not t.done() and t is not asyncio.current_task()]
        self._running.clear()
        if running:
            await asyncio.wait(running, timeout=grace)
        if self._first is not None and not self._first.done():
            # Still waiting on a website after the grace: ended as APScheduler ends its jobs.
            self._first.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._first
        if self.aps.running:
            self.aps.shutdown(wait=False)
