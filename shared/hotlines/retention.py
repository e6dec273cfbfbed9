"""Citizens' personal data retired (152-ФЗ): on schedule after a hotline, or at once on request.

Retirement: ``retention_days`` after a closed hotline's last digest was made (after it
closed, if no digest was made) the names of its citizens, the photos attached to its
questions and the platform ids of its citizens no other purpose holds (:func:`_kept`) are
deleted; the questions and answers stay, with nobody's name on them (a citizen subscribed
to alerts keeps the platform id the notices need). A citizen no hotline ever retires (who
consented and never asked, or left a draft, or asked a general question) is forgotten the
same way by the daily sweep once no purpose holds them: ``retention_days`` after their last
activity. Withdrawal («Удалить мои данные») does the same for one citizen at once, across
every hotline: sends to them not yet started are cancelled, questions not answered are
emptied and rejected as withdrawn, alert subscriptions end. Either way the audit log records
what happened and how much, never who. A send whose call was out at the erasure finishes as
it is; the next retention run after it empties it (:class:`Owed`).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import ColumnElement, Select, delete, exists, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
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
from shared.storage.citizens import Citizen, active_since
from shared.storage.media import MediaOwner
from shared.storage.schema import (
    alert_subscriptions,
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
DIGEST_ACTION = "hotline.digest"
IDLE_ACTION = "citizen.retire"  # the daily sweep forgot citizens no purpose held (counts)
IDLE_BATCH = 200  # citizens forgotten per transaction, so intake never waits long


class PrivacyRef(StrEnum):
    FORGOTTEN = "forgotten"  # the confirmation to a citizen who withdrew: emptied once sent


# Sends to an erased citizen that erasure lets go out: the confirmation, emptied once sent.
SPARED = (PrivacyRef.FORGOTTEN.value,)


class DailyJob(StrEnum):
    """Kept in the ``reminders`` table with the deadlines' reminder: once per office day."""

    # Forget citizens no purpose holds any longer, empty what erasures left in flight (as
    # each run does while ``Owed.LEFTOVERS`` says so), and forget the ids of citizens'
    # messages older than a week (no platform delivers one again that late).
    SWEEP = "privacy_sweep"


class Owed(StrEnum):
    """Also kept in the ``reminders`` table, by the office day it was owed on."""

    # An erasure left sends whose call was out (a card's edit naming the citizen, an
    # answer to them): every retention run empties those finished since, until none is
    # left unfinished, and then deletes the mark.
    LEFTOVERS = "privacy_inflight"


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


def idle_after(cfg: HotlineSettings) -> timedelta:
    """How long a citizen no other purpose holds is kept after their last activity: the
    retention period, and at least a day (a conversation under way is never cut short)."""
    return timedelta(days=max(cfg.retention_days, 1))


def _kept(
    cfg: HotlineSettings, now: datetime, *, retiring: int | None = None, subscribed: bool = True
) -> ColumnElement[bool]:
    """Of a ``citizens`` row: a purpose that still holds the citizen's data at ``now``.

    - an alert subscription (unless ``subscribed`` is False): a consent of its own, whose
      notices need the platform id;
    - a question to a hotline not yet retired (other than ``retiring``): that hotline's
      retention decides;
    - a general question still waiting, or answered (asked, if rejected) within the period;
    - their own activity within the period (:func:`idle_after`): a conversation under way,
      a draft waiting for its hotline, a consent just given.
    """
    since = now - idle_after(cfg)
    retired = select(hotlines.c.id).where(hotlines.c.retired_at.is_not(None))
    to_hotline = questions.c.hotline_id.is_not(None) & questions.c.hotline_id.not_in(retired)
    if retiring is not None:
        to_hotline = to_hotline & (questions.c.hotline_id != retiring)
    general = questions.c.hotline_id.is_(None) & (
        questions.c.status.in_(WAITING)
        | (func.coalesce(questions.c.answered_at, questions.c.created_at) >= since)
    )
    held = [
        exists().where(questions.c.citizen_id == citizens.c.id, to_hotline | general),
        active_since(since),
    ]
    if subscribed:
        held.append(exists().where(alert_subscriptions.c.citizen_id == citizens.c.id))
    return or_(*held)


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


async def _erase_citizen(conn: AsyncConnection, citizen: Citizen) -> int:
    """The row stays (questions point at it), with nothing left that says who it was.
    Returns how many sends to them were out, left to finish (:class:`Owed`)."""
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
    sends = await erasure.forget_citizens(conn, [citizen.id], chats, spare=SPARED)
    await seen.erase(conn, chats)  # the ids of their messages name their chat
    return sends.out


async def _forget_cards(
    conn: AsyncConnection, services: Services, question_ids: Collection[int]
) -> int:
    """What the admin chat was sent about these questions named the citizen: emptied here,
    and each card edited in place to show the question without the name. Returns how many
    of those sends were out, left to finish (:class:`Owed`)."""
    sends = await erasure.forget_content(conn, CARD_REFS, question_ids)
    for question_id in sorted(question_ids):
        await cards.refresh(conn, services.settings, services.texts, question_id)
    return sends.out


# --- what erasures left in flight ------------------------------------------------------


def _forgotten_people() -> Select[tuple[int]]:
    return select(citizens.c.id).where(citizens.c.platform_user_id.like(f"{ERASED}%"))


def _forgotten_questions() -> Select[tuple[int]]:
    """Questions whose cards must say nothing of their citizen: those of citizens whose
    name is gone (erased, or left without it by a hotline's retirement) and those of
    retired hotlines."""
    nameless = select(citizens.c.id).where(citizens.c.display_name.is_(None))
    retired = select(hotlines.c.id).where(hotlines.c.retired_at.is_not(None))
    return select(questions.c.id).where(
        questions.c.citizen_id.in_(nameless) | questions.c.hotline_id.in_(retired)
    )


async def _owe_leftovers(conn: AsyncConnection, services: Services, out: int) -> None:
    """An erasure left ``out`` sends whose call was out: the retention runs look for them."""
    if not out:
        return
    day = utcnow().astimezone(services.settings.tz).date().isoformat()
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    mark = insert(reminders).values(kind=Owed.LEFTOVERS.value, day=day, created_at=utcnow())
    await conn.execute(mark.on_conflict_do_nothing())


async def forget_leftovers(conn: AsyncConnection) -> int:
    """Empty what erasures left while its call was out and has finished since: sends to
    erased citizens, and the cards about questions whose citizen's name is gone. Returns
    how many such sends are not finished yet."""
    return await erasure.forget_leftovers(
        conn, _forgotten_people(), CARD_REFS, _forgotten_questions(), spare=SPARED
    )


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


async def _kept_elsewhere(
    conn: AsyncConnection, cfg: HotlineSettings, citizen_id: int, hotline_id: int, now: datetime
) -> bool:
    """Does a purpose besides this hotline hold the citizen (:func:`_kept`)?"""
    found = await conn.execute(
        select(citizens.c.id).where(
            citizens.c.id == citizen_id, _kept(cfg, now, retiring=hotline_id)
        )
    )
    return found.first() is not None


async def _questions_of(conn: AsyncConnection, citizen_ids: Collection[int]) -> list[int]:
    if not citizen_ids:
        return []
    rows = await conn.execute(
        select(questions.c.id).where(questions.c.citizen_id.in_(list(citizen_ids)))
    )
    return [int(i) for i in rows.scalars()]


async def retire(
    conn: AsyncConnection, services: Services, hotline_id: int, now: datetime | None = None
) -> int:
    """Retire one closed hotline's personal data; returns how many citizens were erased."""
    now = now or utcnow()
    rows = await conn.execute(select(questions.c.id).where(questions.c.hotline_id == hotline_id))
    question_ids = [int(i) for i in rows.scalars()]
    await _drop_photos(conn, question_ids)
    people = await _citizens_of(conn, question_ids)
    erased = out = 0
    for citizen in people:
        if citizen.platform_user_id.startswith(ERASED):
            continue
        if await _kept_elsewhere(conn, services.settings.hotline, citizen.id, hotline_id, now):
            await conn.execute(
                update(citizens).where(citizens.c.id == citizen.id).values(display_name=None)
            )
        else:
            out += await _erase_citizen(conn, citizen)
            erased += 1
    await conn.execute(
        update(hotlines).where(hotlines.c.id == hotline_id).values(retired_at=utcnow())
    )
    # Their cards named them, in this hotline and any other.
    named = await _questions_of(conn, [c.id for c in people])
    out += await _forget_cards(conn, services, named)
    await _owe_leftovers(conn, services, out)
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


async def forget_idle(
    conn: AsyncConnection, services: Services, now: datetime, limit: int = IDLE_BATCH
) -> tuple[int, int]:
    """Forget the citizens no purpose holds any longer (:func:`_kept`): those no hotline's
    retirement reaches (consented and never asked, a draft never sent, general questions
    long answered) as a retired hotline's are, photos and cards included. A subscriber
    idle that long keeps what the notices need, not the name. At most ``limit`` of each;
    returns how many were erased and how many lost only the name (call again while that
    makes ``limit``)."""
    cfg = services.settings.hotline
    alive = ~citizens.c.platform_user_id.like(f"{ERASED}%")
    rows = await conn.execute(
        select(citizens).where(alive, ~_kept(cfg, now)).order_by(citizens.c.id).limit(limit)
    )
    people = [Citizen.from_row(r) for r in rows]
    named = await conn.execute(
        select(citizens.c.id)
        .where(
            alive,
            citizens.c.display_name.is_not(None),
            ~_kept(cfg, now, subscribed=False),
            exists().where(alert_subscriptions.c.citizen_id == citizens.c.id),
        )
        .order_by(citizens.c.id)
        .limit(limit)
    )
    unnamed = [int(i) for i in named.scalars()]
    if not people and not unnamed:
        return 0, 0
    out = 0
    for citizen in people:
        await _drop_photos(conn, await _questions_of(conn, [citizen.id]))
        out += await _erase_citizen(conn, citizen)
    if unnamed:
        await conn.execute(
            update(citizens).where(citizens.c.id.in_(unnamed)).values(display_name=None)
        )
    out += await _forget_cards(
        conn, services, await _questions_of(conn, [*unnamed, *(c.id for c in people)])
    )
    await _owe_leftovers(conn, services, out)
    await audit.record(
        conn, "scheduler", IDLE_ACTION, None, None, erased=len(people), unnamed=len(unnamed)
    )
    return len(people), len(unnamed)


class RetentionPlanner:
    """Retires closed hotlines' personal data when it falls due (``retired_at`` says done),
    forgets once a day the citizens nothing holds any longer, and empties what erasures
    left in flight."""

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
                erased = await retire(conn, self.services, hotline_id, now)
            log.info("hotline %s: personal data retired (%s citizens erased)", hotline_id, erased)
        swept = await self._sweep(now)
        await self._leftovers()
        if due or swept:
            self.services.wake_outbox()

    async def _sweep(self, now: datetime) -> bool:
        """Once a day: citizens nothing holds forgotten, a send that was out when its
        citizen was erased emptied now, and the ids of old messages forgotten. True when
        it ran."""
        day = now.astimezone(self.services.settings.tz).date().isoformat()
        async with self.services.db.read() as conn:
            if await made(conn, DailyJob.SWEEP, day):
                return False
        while True:  # a batch per transaction: intake waits for one at most
            async with self.services.db.write() as conn:
                erased, unnamed = await forget_idle(conn, self.services, now, IDLE_BATCH)
            if erased or unnamed:
                log.info("retention: %s citizens nothing holds erased, %s unnamed", erased, unnamed)
            if max(erased, unnamed) < IDLE_BATCH:
                break
        async with self.services.db.write() as conn:
            if await made(conn, DailyJob.SWEEP, day):
                return False
            await forget_leftovers(conn)
            await replays.purge(conn, now)
            await conn.execute(
                reminders.insert().values(kind=DailyJob.SWEEP.value, day=day, created_at=utcnow())
            )
        return True

    async def _leftovers(self) -> None:
        """While an erasure's sends that were out are owed (:class:`Owed`): empty those
        finished since, and once none is left unfinished, delete the mark."""
        owed = reminders.c.kind == Owed.LEFTOVERS.value
        async with self.services.db.read() as conn:
            days = list((await conn.execute(select(reminders.c.day).where(owed))).scalars())
        if not days:
            return
        async with self.services.db.write() as conn:
            if not await forget_leftovers(conn):
                await conn.execute(delete(reminders).where(owed, reminders.c.day.in_(days)))

    async def upcoming(self, now: datetime, until: datetime) -> list[datetime]:
        async with self.services.db.read() as conn:
            times = (await due_times(conn, self.services.settings.hotline)).values()
        return sorted({t for t in times if now < t <= until})


# --- withdrawal ----------------------------------------------------------------------


async def _forget_derived(conn: AsyncConnection, question_ids: list[int]) -> None:
    """What was derived from withdrawn questions' text goes with it; a card's group
    («Ответить всем» on it) stays, its words emptied: the rest of the group still waits
    for the reply to that card."""
    terms, similar = metadata.tables["question_terms"], metadata.tables["question_similar"]
    await conn.execute(delete(terms).where(terms.c.question_id.in_(question_ids)))
    await conn.execute(
        delete(similar).where(
            similar.c.question_id.in_(question_ids), similar.c.group_ids.is_(None)
        )
    )
    await conn.execute(
        update(similar).where(similar.c.question_id.in_(question_ids)).values(lemmas="")
    )


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
        await _forget_derived(conn, gone)
    out = await _erase_citizen(conn, citizen)
    out += await _forget_cards(conn, services, mine)
    await _owe_leftovers(conn, services, out)
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
