"""Citizens' personal data retired (152-ФЗ): on schedule after a hotline, or at once on request.

Retirement: ``retention_days`` after a closed hotline's last digest was made (after it
closed, if no digest was made) the names of its citizens, the photos attached to its
questions and the platform ids of its citizens with no other activity are deleted; the
questions and answers stay, with nobody's name on them (a citizen subscribed to alerts
keeps the platform id the notices need). Withdrawal («Удалить мои данные») does the same
for one citizen at once, across every hotline: sends to them not yet started are
cancelled, questions not answered are emptied and rejected as withdrawn, alert
subscriptions end. Either way the audit log records what happened and how much, never who.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from config.settings import HotlineSettings
from shared.alerts import subscriptions
from shared.clock import utcnow
from shared.delivered import KEY as DELIVERED
from shared.domain import HotlineStatus, OutboxAction, QuestionStatus
from shared.hotlines import cards, replays
from shared.hotlines.deadlines import answer_by, made
from shared.hotlines.model import PRIORITY_MODERATOR
from shared.hotlines.moderation import QUOTES, for_citizen
from shared.hotlines.refs import HotlineRef
from shared.outbox import erasure, store
from shared.outbox.model import OutboxItem, OutboxMessage
from shared.outbox.payload import delete as delete_payload
from shared.richtext import from_plain
from shared.services import Services
from shared.storage import audit, seen
from shared.storage.citizens import Citizen
from shared.storage.media import MediaOwner
from shared.storage.schema import (
    audit_log,
    citizens,
    hotlines,
    media,
    metadata,
    questions,
    reminders,
)

log = logging.getLogger(__name__)

# A question still to be answered: its citizen is kept until the hotline's answer-by time.
WAITING = (QuestionStatus.NEW.value, QuestionStatus.ASSIGNED.value)

ERASED = "erased:"  # a forgotten citizen's platform_user_id: this prefix and the row's id
WITHDRAWN = "withdrawn"  # the reject reason of a question its author withdrew
CARD_REFS = (HotlineRef.CARD.value, HotlineRef.CARD_MEDIA.value, HotlineRef.CARD_EDIT.value)
# Derived from a question's text (similar questions): gone with the text it came from.
DERIVED_TABLES = ("question_terms", "question_similar")
DIGEST_ACTION = "hotline.digest"


class PrivacyRef(StrEnum):
    FORGOTTEN = "forgotten"  # the confirmation to a citizen who withdrew: emptied once sent


class DailyJob(StrEnum):
    """Kept in the ``reminders`` table with the deadlines' reminder: once per office day."""

    # Empty sends to erased citizens that were in flight at erasure, and forget the ids of
    # citizens' messages older than a week (no platform delivers one again that late).
    SWEEP = "privacy_sweep"


# --- when ----------------------------------------------------------------------------


async def digest_made(conn: AsyncConnection, hotline_id: int) -> datetime | None:
    """When the hotline's digest was last made (the audit log is its record)."""
    found = await conn.execute(
        select(func.max(audit_log.c.at)).where(
            audit_log.c.action == DIGEST_ACTION,
            audit_log.c.target_type == "hotline",
            audit_log.c.target_id == str(hotline_id),
        )
    )
    value: datetime | None = found.scalar_one_or_none()
    return value


async def due_times(conn: AsyncConnection, cfg: HotlineSettings) -> dict[int, datetime]:
    """Closed hotlines not yet retired: id → when their personal data is to go.

    ``RETENTION_DAYS`` after the digest, or after the close if there is none (a digest made
    while the hotline was still open counts from the close). A hotline with questions still
    waiting keeps its citizens at least until its answer-by time: erased earlier, their
    answers would have nowhere to go."""
    rows = await conn.execute(
        select(hotlines.c.id, hotlines.c.ends_at, hotlines.c.answer_days).where(
            hotlines.c.status == HotlineStatus.CLOSED.value, hotlines.c.retired_at.is_(None)
        )
    )
    found: dict[int, datetime] = {}
    for hotline_id, ends_at, answer_days in rows.all():
        start = max(await digest_made(conn, int(hotline_id)) or ends_at, ends_at)
        due = start + timedelta(days=cfg.retention_days)
        if await _waiting(conn, int(hotline_id)):
            due = max(due, answer_by(ends_at, answer_days, cfg))
        found[int(hotline_id)] = due
    return found


async def _waiting(conn: AsyncConnection, hotline_id: int) -> bool:
    """Has the hotline a question still to be answered?"""
    found = await conn.execute(
        select(questions.c.id)
        .where(questions.c.hotline_id == hotline_id, questions.c.status.in_(WAITING))
        .limit(1)
    )
    return found.first() is not None


# --- what is erased ------------------------------------------------------------------


async def _drop_photos(conn: AsyncConnection, question_ids: Sequence[int]) -> None:
    if not question_ids:
        return
    await conn.execute(
        delete(media).where(
            media.c.owner_type == MediaOwner.QUESTION, media.c.owner_id.in_(question_ids)
        )
    )
    await conn.execute(
        update(questions).where(questions.c.id.in_(question_ids)).values(attachments=[])
    )


async def _erase_citizen(conn: AsyncConnection, citizen: Citizen) -> None:
    """The row stays (questions point at it), with nothing left that says who it was."""
    chats = [(citizen.platform, citizen.platform_user_id)]
    peer = citizen.state_data.get("peer")
    if peer:
        chats.append((citizen.platform, str(peer)))
    await conn.execute(
        update(citizens)
        .where(citizens.c.id == citizen.id)
        .values(
            platform_user_id=f"{ERASED}{citizen.id}",
            display_name=None,
            consent_at=None,
            banned=False,
            state=None,
            state_data={},
            throttle_window_start=None,
            throttle_count=0,
            silenced_until=None,
        )
    )
    await conn.execute(
        delete(media).where(
            media.c.owner_type == MediaOwner.QUESTION_DRAFT, media.c.owner_id == citizen.id
        )
    )
    for topic in await subscriptions.of_citizen(conn, citizen.id):
        await subscriptions.unsubscribe(conn, citizen.id, topic)
    await erasure.forget_citizens(conn, [citizen.id], chats)
    await seen.erase(conn, chats)  # the ids of their messages name their chat


async def _forget_cards(
    conn: AsyncConnection, services: Services, question_ids: Collection[int]
) -> None:
    """What the admin chat was sent about these questions named the citizen: emptied here,
    and each card edited in place to show the question without the name."""
    await erasure.forget_content(conn, CARD_REFS, question_ids)
    for question_id in sorted(question_ids):
        await cards.refresh(conn, services.settings, services.texts, question_id)


async def _take_back_queue_pages(conn: AsyncConnection, question_ids: Collection[int]) -> None:
    """/queue pages quoted the text of these questions: emptied here, and their messages
    deleted from the admin chat (a page is a snapshot; /queue makes a new one)."""
    pages = await erasure.forget_quoting(conn, HotlineRef.QUEUE, QUOTES, question_ids)
    for page in pages:
        await store.enqueue(
            conn,
            OutboxMessage(
                platform=page.platform,
                action=OutboxAction.DELETE,
                destination=page.destination,
                payload=delete_payload([], extra={DELIVERED: page.result}),
                priority=PRIORITY_MODERATOR,
                ref_type=HotlineRef.MODERATION,
            ),
        )


async def _citizens_of(conn: AsyncConnection, question_ids: Sequence[int]) -> list[Citizen]:
    if not question_ids:
        return []
    rows = await conn.execute(
        select(citizens).where(
            citizens.c.id.in_(
                select(questions.c.citizen_id).where(questions.c.id.in_(question_ids))
            )
        )
    )
    return [Citizen.from_row(r) for r in rows]


async def _active_elsewhere(conn: AsyncConnection, citizen_id: int, hotline_id: int) -> bool:
    """A question outside this hotline that is not itself retired (a general question, or
    one to a hotline whose data is still kept), or an alert subscription: a consent of its
    own, which needs the platform id to deliver the notices the citizen asked for."""
    if await subscriptions.of_citizen(conn, citizen_id):
        return True
    retired = select(hotlines.c.id).where(hotlines.c.retired_at.is_not(None))
    found = await conn.execute(
        select(questions.c.id)
        .where(
            questions.c.citizen_id == citizen_id,
            (questions.c.hotline_id.is_(None))
            | ((questions.c.hotline_id != hotline_id) & questions.c.hotline_id.not_in(retired)),
        )
        .limit(1)
    )
    return found.first() is not None


async def retire(conn: AsyncConnection, services: Services, hotline_id: int) -> int:
    """Retire one closed hotline's personal data; returns how many citizens were erased."""
    rows = await conn.execute(select(questions.c.id).where(questions.c.hotline_id == hotline_id))
    question_ids = [int(i) for i in rows.scalars()]
    await _drop_photos(conn, question_ids)
    people = await _citizens_of(conn, question_ids)
    erased = 0
    for citizen in people:
        if citizen.platform_user_id.startswith(ERASED):
            continue
        if await _active_elsewhere(conn, citizen.id, hotline_id):
            await conn.execute(
                update(citizens).where(citizens.c.id == citizen.id).values(display_name=None)
            )
        else:
            await _erase_citizen(conn, citizen)
            erased += 1
    await conn.execute(
        update(hotlines).where(hotlines.c.id == hotline_id).values(retired_at=utcnow())
    )
    # Their cards named them, in this hotline and any other.
    named = await conn.execute(
        select(questions.c.id).where(questions.c.citizen_id.in_([c.id for c in people]))
    )
    await _forget_cards(conn, services, [int(i) for i in named.scalars()])
    await audit.record(
        conn,
        "scheduler",
        "hotline.retire",
        "hotline",
        hotline_id,
        questions=len(question_ids),
        citizens=len(people),
        erased=erased,
    )
    return erased


class RetentionPlanner:
    """Retires closed hotlines' personal data when it falls due; ``retired_at`` says done."""

    name = "retention"

    def __init__(self, services: Services) -> None:
        self.services = services

    async def run_due(self, now: datetime) -> None:
        cfg = self.services.settings.hotline
        async with self.services.db.read() as conn:
            due = [h for h, when in (await due_times(conn, cfg)).items() if when <= now]
        for hotline_id in due:
            async with self.services.db.write() as conn:
                row = await conn.execute(
                    select(hotlines.c.retired_at).where(hotlines.c.id == hotline_id)
                )
                if row.scalar_one_or_none() is not None:
                    continue
                erased = await retire(conn, self.services, hotline_id)
            log.info("hotline %s: personal data retired (%s citizens erased)", hotline_id, erased)
        await self._sweep(now)
        if due:
            self.services.wake_outbox()

    async def _sweep(self, now: datetime) -> None:
        """Once a day: a send that was out when its citizen was erased, emptied now, and
        the ids of old messages forgotten."""
        day = now.astimezone(self.services.settings.tz).date().isoformat()
        async with self.services.db.read() as conn:
            if await made(conn, DailyJob.SWEEP, day):
                return
        async with self.services.db.write() as conn:
            if await made(conn, DailyJob.SWEEP, day):
                return
            erased = select(citizens.c.id).where(citizens.c.platform_user_id.like(f"{ERASED}%"))
            await erasure.forget_citizens(conn, erased)
            await replays.purge(conn, now)
            await conn.execute(
                reminders.insert().values(kind=DailyJob.SWEEP.value, day=day, created_at=utcnow())
            )

    async def upcoming(self, now: datetime, until: datetime) -> list[datetime]:
        async with self.services.db.read() as conn:
            times = (await due_times(conn, self.services.settings.hotline)).values()
        return sorted({t for t in times if now < t <= until})


# --- withdrawal ----------------------------------------------------------------------


async def withdraw(conn: AsyncConnection, services: Services, citizen: Citizen) -> None:
    """The citizen withdrew consent: everything about them goes now, in this transaction,
    and they are told so (the confirmation is emptied once sent)."""
    texts = services.texts
    rows = await conn.execute(
        select(questions.c.id, questions.c.status).where(questions.c.citizen_id == citizen.id)
    )
    mine = {int(i): QuestionStatus(s) for i, s in rows}
    gone = [i for i, s in mine.items() if s is not QuestionStatus.ANSWERED]
    await _drop_photos(conn, list(mine))
    if gone:
        await conn.execute(
            update(questions)
            .where(questions.c.id.in_(gone))
            .values(
                text=texts("privacy.removed_text"),
                status=QuestionStatus.REJECTED.value,
                reject_reason=WITHDRAWN,
                publishable=False,
                assigned_to=None,
                assigned_name=None,
            )
        )
        for name in DERIVED_TABLES:
            table = metadata.tables.get(name)
            if table is not None:
                await conn.execute(delete(table).where(table.c.question_id.in_(gone)))
    await _erase_citizen(conn, citizen)
    await _forget_cards(conn, services, mine)
    await _take_back_queue_pages(conn, gone)
    confirmation = for_citizen(
        citizen, from_plain(texts("privacy.withdrawn")), ref_type=PrivacyRef.FORGOTTEN
    )
    await store.enqueue(conn, confirmation)
    await audit.record(
        conn,
        "citizen",
        "citizen.withdraw",
        None,
        None,
        emptied=len(gone),
        kept=len(mine) - len(gone),
    )


async def on_confirmation(conn: AsyncConnection, item: OutboxItem) -> None:
    """The confirmation has its outcome: where it went is forgotten too."""
    await erasure.forget_sent(conn, item.id)


async def on_queue_page(conn: AsyncConnection, item: OutboxItem) -> None:
    """A /queue page's send ended after a question it quotes was withdrawn (its call was
    out at the withdrawal, so the withdrawal left it): it is taken back now."""
    quoted = [int(i) for i in (item.payload.get("extra") or {}).get(QUOTES) or ()]
    if not quoted:
        return
    rows = await conn.execute(
        select(questions.c.id).where(
            questions.c.id.in_(quoted), questions.c.reject_reason == WITHDRAWN
        )
    )
    await _take_back_queue_pages(conn, [int(i) for (i,) in rows])
