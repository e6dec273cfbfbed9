"""Alerts from the office to subscribed citizens: create, queue, report, cancel.

An alert's notices are queued in bounded batches, each batch one transaction that also
moves the alert's ``cursor`` past the subscribers it queued — on the condition that nobody
moved it first. So a restart in the middle resumes after the last committed batch (no
citizen gets a notice twice), and two processes queueing the same alert (the CLI and the
running app's planner) never both queue one batch.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from shared import callbacks
from shared.alerts import outbound, subscriptions
from shared.alerts.model import Alert, AlertRef, AlertState, Press
from shared.alerts.topics import Topic
from shared.clock import utcnow
from shared.domain import OutboxState, PostKind
from shared.errors import InvalidInput, NotFound, Refused
from shared.outbox.model import OutboxItem
from shared.outbox.payload import Button, message
from shared.platform import LimitKind
from shared.posts import limits
from shared.richtext import Document, from_plain
from shared.services import Services
from shared.storage import audit, media
from shared.storage.media import MediaOwner, NewFile
from shared.storage.schema import alerts
from shared.storage.schema import media as media_table

log = logging.getLogger(__name__)

BATCH = 1000  # notices queued per transaction: short enough never to hold up intake


@dataclass(frozen=True)
class Figures:
    """What became of an alert's notices; the parts add up to ``total``."""

    total: int  # subscribers it was meant for so far (queued + skipped)
    sent: int
    unreachable: int  # blocked the bot: skipped before the send, or refused at it
    pending: int  # queued or being sent
    failed: int  # refused for another reason, or given up
    unknown: int  # the platform may or may not have it (a timeout, a kill mid-call)
    cancelled: int  # dropped by a cancel before they were sent

    @property
    def finished(self) -> bool:
        return self.pending == 0


@dataclass(frozen=True)
class Preview:
    topic: Topic
    platforms: dict[str, tuple[int, int]]  # platform: (will get it, unreachable)

    @property
    def reachable(self) -> int:
        return sum(yes for yes, _ in self.platforms.values())


def topic_of(services: Services, name: str) -> Topic:
    from shared.alerts import feature

    found = feature(services).find_topic(name)
    if found is None:
        titles = ", ".join(f"«{t.title}»" for t in feature(services).topics)
        raise InvalidInput(services.texts("alerts.no_topic", topic=name, topics=titles))
    return found


def _platforms(services: Services) -> list[str]:
    """The platforms whose citizens can subscribe: those with a bot configured."""
    settings = services.settings
    return [p for p in settings.platform_names() if getattr(settings, p).enabled]


async def preview(services: Services, topic: Topic) -> Preview:
    platforms = _platforms(services)
    async with services.db.read() as conn:
        counts = await subscriptions.by_platform(conn, topic.key, platforms)
    return Preview(topic, counts)


async def create(
    services: Services,
    *,
    topic: Topic,
    text: str,
    photos: Sequence[NewFile] = (),
    media_ids: Sequence[int] = (),
    urgent: bool = False,
    also_post: bool = False,
    actor: str,
) -> int:
    """Store an alert, post its status message in the admin chat (and, with ``also_post``,
    publish it through the press-release pipeline); its notices are queued by
    :func:`enqueue_all`."""
    body = text.strip()
    if not body:
        raise InvalidInput(services.texts("alerts.empty"))
    _check_photos(services, photos)
    async with services.db.write() as conn:
        alert_id = await _insert(conn, topic, body, urgent, actor)
        ids = await _adopt_media(conn, alert_id, media_ids, photos)
        post_id = None
        if also_post:
            post_id = await _post(services, conn, alert_id, body, ids, urgent, actor)
        status = await outbound.to_admin_chat(
            conn,
            services,
            services.texts("alerts.status_starting", id=alert_id, topic=topic.title),
            AlertRef.STATUS,
            alert_id,
        )
        await conn.execute(
            update(alerts)
            .where(alerts.c.id == alert_id)
            .values(media=ids, post_id=post_id, status_outbox_id=status)
        )
        await audit.record(conn, actor, "alert.create", "alert", alert_id, topic=topic.key)
    services.wake_outbox()
    return alert_id


def _check_photos(services: Services, photos: Sequence[NewFile]) -> None:
    """Refuse, before anything is stored, a photo a configured platform would refuse (its
    size, its shape, how many): its notice carries the text as the photo's caption, so it
    would reach none of that platform's subscribers. The text needs no check: a long
    notice is sent in parts."""
    found = limits.violations(services.limits, _platforms(services), Document(()), photos)
    media = [v for v in found if v.kind is not LimitKind.TEXT_LENGTH]
    if media:
        raise InvalidInput(limits.describe(media[0], services.texts))


async def _insert(conn: AsyncConnection, topic: Topic, body: str, urgent: bool, actor: str) -> int:
    result = await conn.execute(
        alerts.insert()
        .values(
            topic=topic.key,
            text=body,
            media=[],
            urgent=urgent,
            state=AlertState.ENQUEUEING.value,
            cursor=0,
            queued=0,
            skipped=0,
            blocked=0,
            created_by=actor,
            created_at=utcnow(),
        )
        .returning(alerts.c.id)
    )
    return int(result.scalar_one())


async def _adopt_media(
    conn: AsyncConnection, alert_id: int, media_ids: Sequence[int], photos: Sequence[NewFile]
) -> list[int]:
    """The alert's media: those already stored (a draft's) become its own, new ones are
    stored; their ids, in order."""
    if media_ids:
        await conn.execute(
            update(media_table)
            .where(media_table.c.id.in_(list(media_ids)))
            .values(owner_type=MediaOwner.ALERT, owner_id=alert_id)
        )
    return list(media_ids) + await media.add_all(conn, MediaOwner.ALERT, alert_id, photos)


async def _post(
    services: Services,
    conn: AsyncConnection,
    alert_id: int,
    body: str,
    media_ids: list[int],
    urgent: bool,
    actor: str,
) -> int:
    """The alert as a post to the channel, wall and MAX channel (``--also-post``).

    It goes out now, as the alert's notices do, quiet hours or not: a warning that wakes
    its subscribers at night must not wait for the morning on the channel (nor be marked
    «СРОЧНО» for that: the kind follows ``urgent``).
    """
    from shared.posts import service as posts

    files = []
    for media_id in media_ids:
        stored = await media.get(conn, media_id)
        if stored is not None and stored.data is not None:
            files.append(posts.NewMedia(stored.kind, stored.filename, stored.mime, stored.data))
    kind = PostKind.URGENT if urgent else PostKind.ANNOUNCEMENT
    return await posts.create(
        services,
        body=from_plain(body),
        kind=kind,
        created_by=actor,
        media=files,
        conn=conn,
        despite_quiet=True,
    )


async def get(conn: AsyncConnection, alert_id: int) -> Alert:
    row = (await conn.execute(select(alerts).where(alerts.c.id == alert_id))).first()
    if row is None:
        raise NotFound(f"alert {alert_id}")
    return Alert.from_row(row)


async def active(conn: AsyncConnection) -> list[Alert]:
    live = [AlertState.ENQUEUEING.value, AlertState.SENDING.value]
    rows = await conn.execute(select(alerts).where(alerts.c.state.in_(live)).order_by(alerts.c.id))
    return [Alert.from_row(r) for r in rows]


async def enqueue_all(services: Services, alert_id: int) -> None:
    """Queue the alert's notices batch by batch until every subscriber has one."""
    while await enqueue_batch(services, alert_id):
        services.wake_outbox()
        await asyncio.sleep(0)  # let intake's transactions in between batches
    services.wake_outbox()


async def enqueue_batch(services: Services, alert_id: int) -> bool:
    """Queue the next batch; False once there is nothing more to queue (or it was stopped)."""
    title = services.texts
    async with services.db.write() as conn:
        alert = await get(conn, alert_id)
        if alert.state is not AlertState.ENQUEUEING:
            return False
        found = await subscriptions.after(conn, alert.topic, alert.cursor, BATCH)
        if not found:
            await conn.execute(
                update(alerts)
                .where(alerts.c.id == alert_id, alerts.c.state == AlertState.ENQUEUEING.value)
                .values(state=AlertState.SENDING.value)
            )
            return False
        topic = topic_title(services, alert.topic)
        token = await callbacks.issue(conn, Press.UNSUBSCRIBE, alert_id, topic=alert.topic)
        key = "alerts.notice_urgent" if alert.urgent else "alerts.notice"
        payload = message(
            from_plain(title(key, topic=topic, text=alert.text)),
            media=alert.media,
            buttons=[[Button(title("alerts.btn_unsubscribe"), token=token)]],
        )
        reachable = [s for s in found if s.reachable]
        moved = await conn.execute(
            update(alerts)
            .where(
                alerts.c.id == alert_id,
                alerts.c.cursor == alert.cursor,
                alerts.c.state == AlertState.ENQUEUEING.value,
            )
            .values(
                cursor=found[-1].citizen_id,
                queued=alerts.c.queued + len(reachable),
                skipped=alerts.c.skipped + len(found) - len(reachable),
            )
        )
        if moved.rowcount != 1:
            return True  # another process queued this batch; read the cursor again
        await outbound.notices(conn, alert, payload, reachable)
    return True


def topic_title(services: Services, key: str) -> str:
    """A stored topic's title (its key, if the topic was since taken out of the file)."""
    from shared.alerts import feature

    topic = next((t for t in feature(services).topics if t.key == key), None)
    return topic.title if topic is not None else key


async def figures(conn: AsyncConnection, alert: Alert) -> Figures:
    counts = await outbound.counts(conn, alert.id)
    blocked = sum(counts.unreachable.values())
    pending = sum(
        counts.total(s) for s in (OutboxState.PENDING, OutboxState.SENDING, OutboxState.HELD)
    )
    return Figures(
        total=alert.queued + alert.skipped,
        sent=counts.total(OutboxState.SENT),
        unreachable=alert.skipped + blocked,
        pending=pending,
        failed=counts.total(OutboxState.FAILED) - blocked,
        unknown=counts.total(OutboxState.UNKNOWN),
        cancelled=counts.total(OutboxState.CANCELLED),
    )


async def status(services: Services, alert_id: int) -> tuple[Alert, Figures]:
    async with services.db.read() as conn:
        alert = await get(conn, alert_id)
        return alert, await figures(conn, alert)


async def cancel(services: Services, alert_id: int, actor: str) -> tuple[Alert, Figures]:
    """Stop queueing and drop the notices not yet sent; the rest is reported as it is."""
    async with services.db.write() as conn:
        alert = await get(conn, alert_id)
        if alert.state in (AlertState.DONE, AlertState.CANCELLED):
            raise Refused(services.texts("alerts.already_over", id=alert_id))
        await conn.execute(
            update(alerts)
            .where(alerts.c.id == alert_id)
            .values(state=AlertState.CANCELLED.value, finished_at=utcnow())
        )
        await outbound.cancel(conn, alert_id)
        await audit.record(conn, actor, "alert.cancel", "alert", alert_id)
        alert = await get(conn, alert_id)
        found = await figures(conn, alert)
        await outbound.to_admin_chat(
            conn, services, summary(services, alert, found), AlertRef.SUMMARY, alert_id
        )
    services.wake_outbox()
    return alert, found


def describe(services: Services, alert: Alert, found: Figures, now: datetime) -> str:
    """The live status: sent / unreachable / pending / failed and the time still needed."""
    texts = services.texts
    parts = [
        texts(
            "alerts.status",
            id=alert.id,
            topic=topic_title(services, alert.topic),
            total=found.total,
            sent=found.sent,
            unreachable=found.unreachable,
            pending=found.pending,
            failed=found.failed,
        )
    ]
    if found.unknown:
        parts.append(texts("alerts.status_unknown", unknown=found.unknown))
    if alert.state is AlertState.ENQUEUEING:
        parts.append(texts("alerts.status_queueing"))
    done = found.sent + found.failed + found.unknown + alert.blocked
    elapsed = (now - alert.created_at).total_seconds()
    if found.pending and done and elapsed > 0:
        minutes = max(1, round(found.pending / (done / elapsed) / 60))
        parts.append(texts("alerts.status_eta", minutes=minutes))
    return "\n".join(parts)


def summary(services: Services, alert: Alert, found: Figures) -> str:
    key = "alerts.summary_cancelled" if alert.state is AlertState.CANCELLED else "alerts.summary"
    text = services.texts(
        key,
        id=alert.id,
        topic=topic_title(services, alert.topic),
        total=found.total,
        sent=found.sent,
        unreachable=found.unreachable,
        failed=found.failed,
        unknown=found.unknown,
        cancelled=found.cancelled,
        pending=found.pending,
    )
    return text


async def on_notice(conn: AsyncConnection, item: OutboxItem) -> None:
    """Outbox hook: a notice refused because the citizen blocked the bot is counted."""
    if item.state is OutboxState.FAILED and item.progress.get("unreachable") and item.ref_id:
        await conn.execute(
            update(alerts).where(alerts.c.id == item.ref_id).values(blocked=alerts.c.blocked + 1)
        )
