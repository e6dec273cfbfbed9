"""Publishes posts when they fall due; the schedule's truth is the posts table."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from shared.domain import PostStatus
from shared.posts import notices, repo
from shared.posts.service import release
from shared.services import Services
from shared.storage import audit

log = logging.getLogger(__name__)


class PostPlanner:
    """Due posts go out; one later than the missed window (the app was down) is asked about.

    An urgent post has a window of its own, longer (``URGENT_MISSED_WINDOW_MINUTES``)."""

    name = "posts"

    def __init__(self, services: Services) -> None:
        self.services = services

    async def run_due(self, now: datetime) -> None:
        publishing = self.services.settings.publishing
        window = timedelta(minutes=publishing.missed_window_minutes)
        urgent_window = timedelta(minutes=publishing.urgent_missed_window_minutes)
        released = False
        async with self.services.db.write() as conn:
            for post in await repo.due(conn, now):
                assert post.scheduled_at is not None
                late = now - post.scheduled_at
                if late > (urgent_window if post.urgent else window):
                    log.warning("post %s: missed by %s, asking the admin chat", post.id, late)
                    await repo.set_fields(conn, post.id, status=PostStatus.MISSED)
                    await audit.record(conn, "system", "post.missed", "post", post.id)
                    missed = await repo.get(conn, post.id)
                    await notices.ask_missed(self.services, conn, missed)
                    await notices.refresh_preview(self.services, conn, missed)
                    continue
                after = await release(self.services, conn, post, now)
                if after.status is PostStatus.SCHEDULED:
                    log.info("post %s: held by quiet hours until %s", post.id, after.scheduled_at)
                else:
                    log.info("post %s: publishing", post.id)
                await notices.refresh_preview(self.services, conn, after)
                released = True
        if released:
            self.services.wake_outbox()

    async def upcoming(self, now: datetime, until: datetime) -> Sequence[datetime]:
        async with self.services.db.read() as conn:
            return await repo.upcoming(conn, now, until)
