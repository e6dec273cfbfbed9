"""Delivery health: outbox rows by platform and state, the oldest waiting send, the latest
errors with secrets masked (the same masking as the logs)."""

from __future__ import annotations

from aiohttp import web

from shared.clock import utcnow
from shared.domain import OutboxState
from shared.logs import redact
from shared.outbox import health as outbox_health
from web.desk.guard import page, staff
from web.desk.sessions import Session
from web.keys import SERVICES


@staff
async def health(request: web.Request, session: Session) -> web.StreamResponse:
    services = request.app[SERVICES]
    async with services.db.read() as conn:
        counts = await outbox_health.counts(conn)
        oldest = await outbox_health.oldest_waiting(conn)
        problems = await outbox_health.last_errors(conn)
    platforms = sorted({platform for platform, _ in counts})
    age = None if oldest is None else utcnow() - oldest
    return page(
        request,
        session,
        "desk/health.html",
        platforms=platforms,
        states=list(OutboxState),
        counts=counts,
        oldest=oldest,
        age_minutes=None if age is None else int(age.total_seconds() // 60),
        problems=[(p, redact(p.error)) for p in problems],
        tz=services.settings.tz,
    )
