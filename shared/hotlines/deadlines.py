"""Answer-by times: which questions are overdue, and the working-day reminder.

A hotline's questions are to be answered ``answer_days`` after it closes (its own, or the
setting). The reminder is made once per office day at ``reminder_time``: the ``reminders``
table remembers the day, so a restart neither repeats nor loses it (a process that starts
after the time on a working day still makes that day's reminder; a missed day is not made
up the next day).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from config.settings import HotlineSettings
from shared.clock import utcnow
from shared.domain import QuestionStatus
from shared.errors import InvalidInput
from shared.hotlines import cards
from shared.hotlines.moderation import notify
from shared.hotlines.waits import waited
from shared.services import Services
from shared.storage.schema import hotlines, questions, reminders

WAITING = (QuestionStatus.NEW.value, QuestionStatus.ASSIGNED.value)
LIST_LIMIT = 30
SATURDAY = 5


class ReminderKind(StrEnum):
    DEADLINES = "deadlines"  # the working-day count of waiting and overdue questions


@dataclass(frozen=True)
class Late:
    """A question past its hotline's answer-by time."""

    ticket: int
    topic: str
    created_at: datetime
    due: datetime


# A year: beyond that an answer-by date means nothing to a citizen (and far enough out,
# none can be computed at all).
MAX_ANSWER_DAYS = 365


def answer_by(ends_at: datetime, answer_days: int | None, cfg: HotlineSettings) -> datetime:
    """When a hotline's questions are to be answered by."""
    return ends_at + timedelta(days=cfg.answer_days if answer_days is None else answer_days)


async def set_answer_days(conn: AsyncConnection, hotline_id: int, days: int) -> None:
    """The hotline's own answer-by time: ``days`` after it closes."""
    if days < 0:
        raise InvalidInput("срок ответа не может быть отрицательным")
    if days > MAX_ANSWER_DAYS:
        raise InvalidInput(f"срок ответа — не больше {MAX_ANSWER_DAYS} дней")
    await conn.execute(update(hotlines).where(hotlines.c.id == hotline_id).values(answer_days=days))


async def _due_hotlines(
    conn: AsyncConnection, cfg: HotlineSettings, now: datetime
) -> dict[int, tuple[str, datetime]]:
    """Hotlines whose answer-by time has passed: id → (topic, answer-by)."""
    rows = await conn.execute(
        select(hotlines.c.id, hotlines.c.topic, hotlines.c.ends_at, hotlines.c.answer_days).where(
            hotlines.c.ends_at <= now
        )
    )
    found: dict[int, tuple[str, datetime]] = {}
    for hotline_id, topic, ends_at, days in rows:
        due = answer_by(ends_at, days, cfg)
        if due <= now:
            found[int(hotline_id)] = (topic, due)
    return found


async def overdue(conn: AsyncConnection, cfg: HotlineSettings, now: datetime) -> list[Late]:
    """Waiting questions past their answer-by time, oldest first."""
    due = await _due_hotlines(conn, cfg, now)
    if not due:
        return []
    rows = await conn.execute(
        select(questions.c.id, questions.c.hotline_id, questions.c.created_at)
        .where(questions.c.status.in_(WAITING), questions.c.hotline_id.in_(list(due)))
        .order_by(questions.c.id)
    )
    return [Late(int(i), due[int(h)][0], created, due[int(h)][1]) for i, h, created in rows]


async def counts(conn: AsyncConnection, cfg: HotlineSettings, now: datetime) -> tuple[int, int]:
    """(waiting, overdue): every unanswered question, and those past their answer-by time."""
    result = await conn.execute(
        select(func.count()).select_from(questions).where(questions.c.status.in_(WAITING))
    )
    return int(result.scalar_one()), len(await overdue(conn, cfg, now))


async def listing(services: Services) -> str:
    """The text of ``/overdue``."""
    texts, now = services.texts, utcnow()
    async with services.db.read() as conn:
        late = await overdue(conn, services.settings.hotline, now)
    if not late:
        return texts("deadlines.none_overdue")
    tz = services.settings.tz
    lines = [texts("deadlines.overdue_title", count=len(late))]
    for item in late[:LIST_LIMIT]:
        lines.append(
            texts(
                "deadlines.overdue_line",
                ticket=item.ticket,
                topic=item.topic,
                waited=waited(now - item.created_at, texts),
                due=item.due.astimezone(tz).strftime("%d.%m"),
            )
        )
    if len(late) > LIST_LIMIT:
        lines.append(texts("deadlines.overdue_more", count=len(late) - LIST_LIMIT))
    return "\n".join(lines)


def working_day(day: date, cfg: HotlineSettings) -> bool:
    """Monday to Friday, the configured holidays aside."""
    return day.weekday() < SATURDAY and day not in cfg.holidays


class DeadlinePlanner:
    """Makes the working-day reminder; the ``reminders`` table says what was made."""

    name = "deadlines"

    def __init__(self, services: Services) -> None:
        self.services = services

    def _moment(self, day: date) -> datetime | None:
        """The reminder time on ``day``, in the office's zone; None on a day off."""
        cfg = self.services.settings.hotline
        if cfg.reminder_time is None or not working_day(day, cfg):
            return None
        return datetime.combine(day, cfg.reminder_time, tzinfo=self.services.settings.tz)

    async def run_due(self, now: datetime) -> None:
        local = now.astimezone(self.services.settings.tz)
        moment = self._moment(local.date())
        if moment is None or now < moment or cards.admin_chat(self.services.settings) is None:
            return
        day = local.date().isoformat()
        async with self.services.db.write() as conn:
            if await made(conn, ReminderKind.DEADLINES, day):
                return
            waiting, late = await counts(conn, self.services.settings.hotline, now)
            outbox_id = None
            if waiting:
                text = self.services.texts("deadlines.reminder", waiting=waiting, overdue=late)
                outbox_id = await notify(conn, self.services, text)
            await conn.execute(
                reminders.insert().values(
                    kind=ReminderKind.DEADLINES.value,
                    day=day,
                    outbox_id=outbox_id,
                    created_at=utcnow(),
                )
            )
        self.services.wake_outbox()

    async def upcoming(self, now: datetime, until: datetime) -> list[datetime]:
        tz = self.services.settings.tz
        day, last = now.astimezone(tz).date(), until.astimezone(tz).date()
        found: list[datetime] = []
        while day <= last:
            moment = self._moment(day)
            if moment is not None and now < moment <= until:
                found.append(moment)
            day += timedelta(days=1)
        return found


async def made(conn: AsyncConnection, kind: StrEnum, day: str) -> bool:
    """Was this kind of daily job done on this office day?"""
    row = await conn.execute(
        select(reminders.c.day).where(reminders.c.kind == kind.value, reminders.c.day == day)
    )
    return row.first() is not None
