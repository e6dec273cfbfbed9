"""The running app's side of alerts: queueing resumed after a restart, the live status
message kept current (at most every ``status_every_seconds``, never an edit that changes
nothing), and the final summary once nothing is left to send."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import update

from shared.alerts import outbound, service
from shared.alerts.model import Alert, AlertRef, AlertState
from shared.clock import utcnow
from shared.services import Services
from shared.storage.schema import alerts

log = logging.getLogger(__name__)


STALLED = timedelta(seconds=20)  # an enqueue whose cursor stood still this long is resumed


class AlertPlanner:
    name = "alerts"

    def __init__(self, services: Services) -> None:
        self.services = services
        self.every = timedelta(seconds=services.settings.alerts.status_every_seconds)
        self._cursors: dict[int, tuple[int, datetime]] = {}  # alert: (cursor, since when)

    async def run_due(self, now: datetime) -> None:
        async with self.services.db.read() as conn:
            live = await service.active(conn)
        for alert in live:
            if alert.state is AlertState.ENQUEUEING and self._stalled(alert, now):
                await service.enqueue_all(self.services, alert.id)  # resumed after a restart
            await self.refresh(alert.id)
        self.services.wake_outbox()

    def _stalled(self, alert: Alert, now: datetime) -> bool:
        """Queueing that nobody is doing: its cursor stood still since the last look.

        The process that created the alert queues it (the CLI, or the admin chat's
        handler); the planner takes over only when that stopped, e.g. killed mid-way.
        """
        seen = self._cursors.get(alert.id)
        if seen is None or seen[0] != alert.cursor:
            self._cursors[alert.id] = (alert.cursor, now)
            return False
        return now - seen[1] >= STALLED

    async def upcoming(self, now: datetime, until: datetime) -> Sequence[datetime]:
        async with self.services.db.read() as conn:
            if not await service.active(conn):
                return []
        ticks: list[datetime] = []
        when = now + self.every
        while when <= until:
            ticks.append(when)
            when += self.every
        return ticks

    async def refresh(self, alert_id: int) -> None:
        """Edit the status message if its figures changed and the last edit is old enough;
        once nothing is pending, close the alert with its summary (at the next look after
        the last edit's interval).

        The figures are counted in a read transaction (a broadcast's rows are many): the
        write lock is taken only to record what changed.
        """
        now = utcnow()
        async with self.services.db.read() as conn:
            alert = await service.get(conn, alert_id)
            if alert.state not in (AlertState.ENQUEUEING, AlertState.SENDING):
                return
            if self._recent(alert, now):
                return  # counting a broadcast's rows is not free: only when it may show
            found = await service.figures(conn, alert)
        over = alert.state is AlertState.SENDING and found.finished
        async with self.services.db.write() as conn:
            if over:
                closed = await conn.execute(
                    update(alerts)
                    .where(alerts.c.id == alert.id, alerts.c.state == AlertState.SENDING.value)
                    .values(state=AlertState.DONE.value, finished_at=now)
                )
                if closed.rowcount != 1:
                    return  # cancelled meanwhile: the cancel sent its own summary
                self._cursors.pop(alert.id, None)
            alert = await service.get(conn, alert_id)
            text = service.describe(self.services, alert, found, now)
            if text != alert.status_shown and await outbound.edit_status(
                conn, self.services, alert, text
            ):
                await conn.execute(
                    update(alerts)
                    .where(alerts.c.id == alert.id)
                    .values(status_shown=text, status_at=now)
                )
            if over:
                await outbound.to_admin_chat(
                    conn,
                    self.services,
                    service.summary(self.services, alert, found),
                    AlertRef.SUMMARY,
                    alert.id,
                )
                log.info("alert %s: done (%s sent of %s)", alert.id, found.sent, found.total)

    def _recent(self, alert: Alert, now: datetime) -> bool:
        return alert.status_at is not None and now - alert.status_at < self.every
