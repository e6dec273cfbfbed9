"""Opens and closes hotlines on time; the truth is the ``hotlines`` table.

Opening publishes an announcement to the channel and the wall through the press-release
pipeline and gives the admin chat the hotline's deep links (each platform's link that
opens the bot straight on it); closing posts a summary to the admin chat, and closing the
last open one stores the citizens' questions still waiting for a choice of hotline as
general questions. A hotline whose whole window passed while the app was down never
opened: the admin chat is told it did not take place (not a routine summary of nothing).
Both are idempotent: the status moves conditionally (in the same
transaction as what follows from it) and the flags ``announced``/``summary_sent`` say what
was already done.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.clock import utcnow
from shared.domain import HotlineStatus, PostKind
from shared.errors import GlashataiError
from shared.hotlines import campaigns
from shared.hotlines.campaigns import Hotline
from shared.hotlines.conversation import Conversation
from shared.hotlines.conversation_links import start_payload
from shared.hotlines.moderation import notify
from shared.reports.figures import NOT_HELD_ACTION
from shared.richtext import Document, Span, from_plain, join, paragraph
from shared.services import Services
from shared.storage import audit
from shared.storage.schema import hotlines

log = logging.getLogger(__name__)


class HotlinePlanner:
    name = "hotlines"
    # Run before the platforms poll at start: a hotline that ended (or began) while the app
    # was down is closed (opened) before a message waiting for the bot is taken.
    settles_intake = True

    def __init__(self, services: Services) -> None:
        self.services = services

    async def run_due(self, now: datetime) -> None:
        db = self.services.db
        async with db.write() as conn:
            rows = await conn.execute(
                select(hotlines).where(
                    hotlines.c.status != HotlineStatus.CLOSED.value, hotlines.c.ends_at <= now
                )
            )
            for hotline in [Hotline.from_row(r) for r in rows]:
                await self.close(conn, hotline, held=hotline.status is not HotlineStatus.SCHEDULED)
            rows = await conn.execute(
                select(hotlines).where(
                    hotlines.c.status == HotlineStatus.SCHEDULED.value,
                    hotlines.c.starts_at <= now,
                    hotlines.c.ends_at > now,
                )
            )
            for hotline in [Hotline.from_row(r) for r in rows]:
                if await campaigns.set_status(
                    conn, hotline.id, HotlineStatus.OPEN, HotlineStatus.SCHEDULED
                ):
                    await audit.record(conn, "scheduler", "hotline.open", "hotline", hotline.id)
                    log.info("hotline %s: open", hotline.id)
            pending = [h for h in await campaigns.open_now(conn, now) if not h.announced]
        self.services.wake_outbox()
        for hotline in pending:
            await self._announce(hotline)

    async def close(self, conn: AsyncConnection, hotline: Hotline, *, held: bool = True) -> None:
        """Close a hotline (due, or by hand) and post its summary; a second call does nothing.

        ``held=False``: its end came while it was still scheduled (the app was down over its
        whole window), so the admin chat hears that it did not take place instead."""
        if not await campaigns.set_status(conn, hotline.id, HotlineStatus.CLOSED, hotline.status):
            return
        await audit.record(conn, "scheduler", "hotline.close", "hotline", hotline.id)
        log.info("hotline %s: closed", hotline.id)
        # The last open hotline closed: questions waiting for a choice of hotline become
        # general ones now, in this transaction (once, or again with the close retried).
        await Conversation(self.services).store_drafts(conn)
        if hotline.summary_sent:
            return
        if not held:
            await self._not_held(conn, hotline)
            return
        t = await campaigns.tally(conn, hotline.id)
        texts = self.services.texts
        title = paragraph(Span(texts("hotline.summary_title"), bold=True), " ", hotline.topic)
        doc = join(
            Document((title,)),
            from_plain(
                texts(
                    "hotline.summary",
                    received=t.received,
                    answered=t.answered,
                    rejected=t.rejected,
                    waiting=t.waiting,
                )
            ),
        )
        if t.answered:
            doc = join(doc, from_plain(texts("hotline.summary_digest", id=hotline.id)))
        await notify(conn, self.services, doc)
        await campaigns.mark(conn, hotline.id, summary_sent=True)

    async def _not_held(self, conn: AsyncConnection, hotline: Hotline) -> None:
        """Tell the office a hotline never opened (as a missed post is told): nobody was
        told of it and nobody could write to it, so it is to be planned again."""
        await audit.record(conn, "scheduler", NOT_HELD_ACTION, "hotline", hotline.id)
        log.warning("hotline %s: its hours passed while the app was down; not held", hotline.id)
        tz = self.services.settings.tz
        text = self.services.texts(
            "hotline.not_held",
            id=hotline.id,
            topic=hotline.topic,
            start=campaigns.local(hotline.starts_at, tz),
            end=campaigns.local(hotline.ends_at, tz),
        )
        await notify(conn, self.services, text)
        await campaigns.mark(conn, hotline.id, summary_sent=True)

    def _announcement(self, hotline: Hotline) -> str:
        """«Сегодня до 18:00» only for a hotline that ends on the day it is announced (the
        office's day); one running past midnight or for days names its end's date."""
        texts, tz = self.services.texts, self.services.settings.tz
        ends = hotline.ends_at.astimezone(tz)
        today = ends.date() == utcnow().astimezone(tz).date()
        return texts(
            "hotline.announcement" if today else "hotline.announcement_days",
            topic=hotline.topic,
            description=hotline.description,
            until=ends.strftime("%H:%M" if today else "%d.%m %H:%M"),
        )

    async def _announce(self, hotline: Hotline) -> None:
        """Announce through the press-release pipeline (there is one publishing path),
        with the hotline's deep links; the admin chat gets the links too."""
        links = await self.links(hotline)
        try:
            from shared.posts.service import create_post
        except ImportError:
            log.warning("hotline %s: press releases are not installed; no announcement", hotline.id)
            return
        texts = self.services.texts
        body = from_plain(self._announcement(hotline))
        if links:
            lines = [texts("hotline.announcement_links"), *self._lines(links)]
            body = join(body, from_plain("\n".join(lines)))
        try:
            await create_post(
                self.services,
                body=body,
                title=texts("hotline.announcement_title", topic=hotline.topic),
                kind=PostKind.ANNOUNCEMENT,
                platforms=None,
                at=None,
                created_by=f"hotline:{hotline.id}",
            )
        except GlashataiError as exc:
            log.warning("hotline %s: announcement not published: %s", hotline.id, exc)
        async with self.services.db.write() as conn:
            if links is not None:
                await notify(conn, self.services, self._note(hotline, links))
            await campaigns.mark(conn, hotline.id, announced=True)
        self.services.wake_outbox()

    async def links(self, hotline: Hotline) -> list[tuple[str, str]] | None:
        """Each configured platform's deep link to the hotline, as (title, url); None
        without a way to make them (no platforms running here)."""
        if self.services.deep_links is None:
            return None
        return await self.services.deep_links(start_payload(hotline.id))

    def _lines(self, links: list[tuple[str, str]]) -> list[str]:
        texts = self.services.texts
        return [texts("hotline.link_line", platform=p, url=u) for p, u in links]

    def _note(self, hotline: Hotline, links: list[tuple[str, str]]) -> str:
        """The admin chat's note of the hotline's deep links (for announcements and the site)."""
        texts = self.services.texts
        lines = [texts("hotline.links_title", id=hotline.id, topic=hotline.topic)]
        lines += self._lines(links) or [texts("hotline.links_none")]
        return "\n".join(lines)

    async def upcoming(self, now: datetime, until: datetime) -> Sequence[datetime]:
        async with self.services.db.read() as conn:
            rows = await conn.execute(
                select(hotlines.c.starts_at, hotlines.c.ends_at).where(
                    hotlines.c.status != HotlineStatus.CLOSED.value,
                    or_(
                        hotlines.c.starts_at.between(now, until),
                        hotlines.c.ends_at.between(now, until),
                    ),
                )
            )
            times: list[datetime] = []
            for starts_at, ends_at in rows:
                times.extend(t for t in (starts_at, ends_at) if now < t <= until)
        return sorted(set(times))
