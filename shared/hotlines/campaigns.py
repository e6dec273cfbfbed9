"""Hotline campaigns: created scheduled, opened and closed by the planner (or by hand).

Several hotlines may be open at once; times are stored in UTC and read and shown in the
office's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.clock import utcnow
from shared.domain import HotlineStatus, QuestionStatus
from shared.errors import InvalidInput, NotFound
from shared.storage.schema import hotlines, questions

TIME_FORMATS = ("%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M", "%Y-%m-%dT%H:%M")
TOPIC_LIMIT = 200


@dataclass(frozen=True)
class Hotline:
    id: int
    topic: str
    description: str
    starts_at: datetime
    ends_at: datetime
    status: HotlineStatus
    announced: bool
    summary_sent: bool
    created_by: str

    @classmethod
    def from_row(cls, row: Any) -> Hotline:
        m = row._mapping
        return cls(
            id=m["id"],
            topic=m["topic"],
            description=m["description"] or "",
            starts_at=m["starts_at"],
            ends_at=m["ends_at"],
            status=HotlineStatus(m["status"]),
            announced=m["announced"],
            summary_sent=m["summary_sent"],
            created_by=m["created_by"],
        )


def parse_local(text: str, tz: ZoneInfo) -> datetime:
    """A wall-clock time in the office's zone (``2026-12-01 10:00``) as an aware datetime."""
    value = text.strip()
    for fmt in TIME_FORMATS:
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=tz)
        except ValueError:
            continue
    raise InvalidInput(f"не понимаю время «{value}»: напишите как 2026-12-01 10:00")


def local(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%d.%m.%Y %H:%M")


def clean_topic(topic: str) -> str:
    """The topic as stored. Checked on its own too, so a dialogue can refuse it when it is
    given rather than after every other answer."""
    topic = topic.strip()
    if not topic:
        raise InvalidInput("у горячей линии должна быть тема")
    if len(topic) > TOPIC_LIMIT:
        raise InvalidInput(f"тема длиннее {TOPIC_LIMIT} знаков")
    return topic


def validate(topic: str, starts_at: datetime, ends_at: datetime) -> str:
    topic = clean_topic(topic)
    if ends_at <= starts_at:
        raise InvalidInput("конец должен быть позже начала")
    if ends_at <= utcnow():
        raise InvalidInput("конец уже прошёл")
    return topic


async def create(
    conn: AsyncConnection,
    *,
    topic: str,
    starts_at: datetime,
    ends_at: datetime,
    description: str = "",
    created_by: str,
) -> Hotline:
    topic = validate(topic, starts_at, ends_at)
    result = await conn.execute(
        hotlines.insert()
        .values(
            topic=topic,
            description=description.strip(),
            starts_at=starts_at,
            ends_at=ends_at,
            status=HotlineStatus.SCHEDULED.value,
            announced=False,
            summary_sent=False,
            created_by=created_by,
            created_at=utcnow(),
        )
        .returning(hotlines.c.id)
    )
    return await get(conn, int(result.scalar_one()))


async def get(conn: AsyncConnection, hotline_id: int) -> Hotline:
    row = (await conn.execute(select(hotlines).where(hotlines.c.id == hotline_id))).first()
    if row is None:
        raise NotFound(f"hotline {hotline_id}")
    return Hotline.from_row(row)


async def listing(conn: AsyncConnection, *, include_closed: bool = True) -> list[Hotline]:
    query = select(hotlines).order_by(hotlines.c.starts_at, hotlines.c.id)
    if not include_closed:
        query = query.where(hotlines.c.status != HotlineStatus.CLOSED.value)
    return [Hotline.from_row(r) for r in await conn.execute(query)]


async def open_now(conn: AsyncConnection, now: datetime | None = None) -> list[Hotline]:
    """The hotlines citizens can write to now: opened, and within their hours.

    The status alone is not enough: between a hotline's end and the planner's close (a
    restart after the end, the planner's wake a moment late) it still says open, and a
    question written after the end must not be filed to it and counted in its summary.
    """
    at = now or utcnow()
    rows = await conn.execute(
        select(hotlines)
        .where(
            hotlines.c.status == HotlineStatus.OPEN.value,
            hotlines.c.starts_at <= at,
            hotlines.c.ends_at > at,
        )
        .order_by(hotlines.c.starts_at, hotlines.c.id)
    )
    return [Hotline.from_row(r) for r in rows]


async def next_scheduled(conn: AsyncConnection) -> Hotline | None:
    row = (
        await conn.execute(
            select(hotlines)
            .where(hotlines.c.status == HotlineStatus.SCHEDULED.value)
            .order_by(hotlines.c.starts_at, hotlines.c.id)
            .limit(1)
        )
    ).first()
    return Hotline.from_row(row) if row else None


async def set_status(
    conn: AsyncConnection, hotline_id: int, status: HotlineStatus, expected: HotlineStatus
) -> bool:
    """Move a hotline on if it is still where the caller saw it (the planner may race us)."""
    result = await conn.execute(
        update(hotlines)
        .where(hotlines.c.id == hotline_id, hotlines.c.status == expected.value)
        .values(status=status.value)
    )
    return result.rowcount == 1


async def mark(conn: AsyncConnection, hotline_id: int, **values: Any) -> None:
    await conn.execute(update(hotlines).where(hotlines.c.id == hotline_id).values(**values))


@dataclass(frozen=True)
class Tally:
    """A hotline's questions: ``received`` is ``answered + rejected + waiting``.

    Questions a banned citizen wrote are kept out of sight (no card, no queue) until an
    unban returns them to the queue: they are ``banned``, apart from ``received``, so that
    the figures the office reads add up.
    """

    received: int
    answered: int
    rejected: int
    waiting: int
    banned: int = 0


async def tally(conn: AsyncConnection, hotline_id: int | None) -> Tally:
    """How the hotline's questions stand (``None``: the general questions)."""
    where = (
        questions.c.hotline_id.is_(None)
        if hotline_id is None
        else questions.c.hotline_id == hotline_id
    )
    rows = await conn.execute(
        select(questions.c.status, func.count()).where(where).group_by(questions.c.status)
    )
    by = {status: int(n) for status, n in rows}
    waiting = by.get(QuestionStatus.NEW.value, 0) + by.get(QuestionStatus.ASSIGNED.value, 0)
    answered = by.get(QuestionStatus.ANSWERED.value, 0)
    rejected = by.get(QuestionStatus.REJECTED.value, 0)
    return Tally(
        received=answered + rejected + waiting,
        answered=answered,
        rejected=rejected,
        waiting=waiting,
        banned=by.get(QuestionStatus.BANNED.value, 0),
    )
