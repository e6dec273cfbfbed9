"""The year's figures, counted from what the suite stored: publications, hotlines, answers.

The office reports once a year what it did; these are the numbers it used to count by hand.
Everything is counted in one read transaction, for a period of office-local dates.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.domain import HotlineStatus, PublicationState, QuestionStatus
from shared.outbox import refs
from shared.storage.schema import (
    alerts,
    audit_log,
    citizens,
    hotlines,
    posts,
    publications,
    questions,
)

EDIT_ACTION = "post.edit"
# The outbox rows of a post on one platform (``shared.posts.model.REF_PUBLICATION``; the
# report reads the stored rows, with or without the press-release feature installed).
PUBLICATION_REF = "publication"
CLOSE_ACTION = "hotline.close"
# The planner's record of a hotline whose whole time passed while the app was down.
NOT_HELD_ACTION = "hotline.not_held"
# A publication that was out and then removed was published all the same.
WAS_PUBLISHED = (PublicationState.PUBLISHED.value, PublicationState.DELETED.value)


@dataclass(frozen=True)
class Period:
    """Office-local dates, both included."""

    first: date
    last: date
    tz: ZoneInfo

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), self.tz)

    @property
    def end(self) -> datetime:
        """The first instant after the period."""
        return datetime.combine(self.last + timedelta(days=1), time(), self.tz)

    def month(self, at: datetime) -> str:
        """``2026-03``: the office-local month of an instant."""
        return f"{at.astimezone(self.tz):%Y-%m}"

    def months(self) -> list[str]:
        out: list[str] = []
        year, month = self.first.year, self.first.month
        while (year, month) <= (self.last.year, self.last.month):
            out.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return out


@dataclass
class Releases:
    """One platform's publications in one month."""

    published: int = 0
    failed: int = 0
    edited: int = 0


@dataclass(frozen=True)
class HotlineRow:
    """A hotline held, counted as ``campaigns.tally`` counts: ``received`` is ``answered +
    rejected + waiting``; the questions banned citizens wrote, kept out of sight, are
    ``banned``, apart from ``received``."""

    id: int
    topic: str
    starts_at: datetime
    ends_at: datetime
    received: int
    answered: int
    rejected: int
    waiting: int
    banned: int = 0


@dataclass(frozen=True)
class AnswerTimes:
    """How long citizens of one platform waited for an answer, in hours."""

    platform: str
    answered: int
    median_hours: float
    p90_hours: float


@dataclass(frozen=True)
class AlertRow:
    """One topic's alerts that went out: notices queued, failed (blocked), skipped."""

    topic: str
    title: str  # the topic as people read it (its key when no topics file names it)
    alerts: int
    queued: int
    blocked: int
    skipped: int


@dataclass(frozen=True)
class Reach:
    """Citizens of one platform who asked in the period, and those who got an answer."""

    platform: str
    asked: int
    answered: int


@dataclass
class Report:
    period: Period
    releases: dict[tuple[str, str], Releases] = field(default_factory=dict)  # (month, platform)
    hotlines: list[HotlineRow] = field(default_factory=list)
    answer_times: list[AnswerTimes] = field(default_factory=list)
    alerts: list[AlertRow] = field(default_factory=list)
    reach: list[Reach] = field(default_factory=list)

    @property
    def platforms(self) -> list[str]:
        """Every platform that appears anywhere in the report, in a stable order."""
        found = {p for _, p in self.releases}
        found |= {t.platform for t in self.answer_times} | {r.platform for r in self.reach}
        return sorted(found)

    def releases_total(self, platform: str) -> Releases:
        total = Releases()
        for (_, p), r in self.releases.items():
            if p == platform:
                total.published += r.published
                total.failed += r.failed
                total.edited += r.edited
        return total


async def collect(
    conn: AsyncConnection, period: Period, topic_titles: Mapping[str, str] | None = None
) -> Report:
    """``topic_titles``: alert topics' titles by key (from the office's topics file)."""
    report = Report(period)
    await _releases(conn, report)
    report.hotlines = await _hotlines(conn, period)
    report.answer_times = await _answer_times(conn, period)
    report.alerts = await _alerts(conn, period, topic_titles or {})
    report.reach = await _reach(conn, period)
    return report


def _bucket(report: Report, at: datetime, platform: str) -> Releases:
    return report.releases.setdefault((report.period.month(at), platform), Releases())


async def _releases(conn: AsyncConnection, report: Report) -> None:
    """Published by when the post came out on each platform (a retry may be weeks after
    the first); failed by when the failure was recorded; edited: each edit of a post
    already out, once per platform it was out on by then."""
    period = report.period
    # Out on a platform no sooner than the post's first publication: those before the end.
    out = (
        await conn.execute(
            select(publications.c.id, publications.c.platform, posts.c.published_at)
            .join(posts, posts.c.id == publications.c.post_id)
            .where(
                publications.c.state.in_(WAS_PUBLISHED),
                posts.c.published_at.is_not(None),
                posts.c.published_at < period.end,
            )
        )
    ).all()
    came_out = await _came_out(conn, [int(row.id) for row in out])
    for pub_id, platform, first in out:
        at = came_out.get(int(pub_id), first)
        if period.start <= at < period.end:
            _bucket(report, at, platform).published += 1
    failed = await conn.execute(
        select(publications.c.platform, publications.c.updated_at).where(
            publications.c.state == PublicationState.FAILED.value,
            publications.c.updated_at >= period.start,
            publications.c.updated_at < period.end,
        )
    )
    for platform, at in failed:
        _bucket(report, at, platform).failed += 1
    edits = await conn.execute(
        select(audit_log.c.target_id, audit_log.c.at).where(
            audit_log.c.action == EDIT_ACTION,
            audit_log.c.at >= period.start,
            audit_log.c.at < period.end,
        )
    )
    edit_times: dict[int, list[datetime]] = defaultdict(list)
    for target, at in edits:
        if target is not None and str(target).isdigit():
            edit_times[int(target)].append(at)
    if not edit_times:
        return
    out_on = (
        await conn.execute(
            select(
                publications.c.id,
                publications.c.post_id,
                publications.c.platform,
                posts.c.published_at,
            )
            .join(posts, posts.c.id == publications.c.post_id)
            .where(
                publications.c.post_id.in_(list(edit_times)),
                publications.c.state.in_(WAS_PUBLISHED),
                posts.c.published_at.is_not(None),
            )
        )
    ).all()
    came_out = await _came_out(conn, [int(row.id) for row in out_on])
    for pub_id, post_id, platform, published_at in out_on:
        # When the post came out on this platform (a retry may have been weeks after the
        # first platform); the post's first publication when the outbox does not say.
        since = came_out.get(int(pub_id), published_at)
        for at in edit_times[int(post_id)]:
            if at >= since:
                _bucket(report, at, platform).edited += 1


async def _came_out(conn: AsyncConnection, publication_ids: list[int]) -> dict[int, datetime]:
    """When each publication came out: its first send the outbox recorded."""
    return await refs.first_sent(conn, PUBLICATION_REF, publication_ids)


async def _hotlines(conn: AsyncConnection, period: Period) -> list[HotlineRow]:
    """Hotlines that started in the period: a scheduled one was not held yet, and one
    closed before its start (called off) or whose hours passed while the app was down
    (``NOT_HELD_ACTION``) never was."""
    found = (
        await conn.execute(
            select(hotlines.c.id, hotlines.c.topic, hotlines.c.starts_at, hotlines.c.ends_at)
            .where(
                hotlines.c.starts_at >= period.start,
                hotlines.c.starts_at < period.end,
                hotlines.c.status != HotlineStatus.SCHEDULED.value,
            )
            .order_by(hotlines.c.starts_at, hotlines.c.id)
        )
    ).all()
    called_off = await _closed_at(conn, [int(row.id) for row in found])
    not_held = await _not_held(conn, [int(row.id) for row in found])
    found = [
        row
        for row in found
        if called_off.get(int(row.id), row.starts_at) >= row.starts_at
        and int(row.id) not in not_held
    ]
    if not found:
        return []
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    rows = await conn.execute(
        select(questions.c.hotline_id, questions.c.status, func.count())
        .where(questions.c.hotline_id.in_([row.id for row in found]))
        .group_by(questions.c.hotline_id, questions.c.status)
    )
    for hotline_id, status, n in rows:
        counts[int(hotline_id)][status] = int(n)
    return [_hotline_row(row, counts[row.id]) for row in found]


async def _closed_at(conn: AsyncConnection, hotline_ids: list[int]) -> dict[int, datetime]:
    """When each hotline was first closed, by the audit log (by hand or on time)."""
    if not hotline_ids:
        return {}
    rows = await conn.execute(
        select(audit_log.c.target_id, func.min(audit_log.c.at))
        .where(
            audit_log.c.action == CLOSE_ACTION,
            audit_log.c.target_type == "hotline",
            audit_log.c.target_id.in_([str(i) for i in hotline_ids]),
        )
        .group_by(audit_log.c.target_id)
    )
    return {int(target): at for target, at in rows if at is not None}


async def _not_held(conn: AsyncConnection, hotline_ids: list[int]) -> set[int]:
    """The hotlines the planner found with their whole time passed, never opened."""
    if not hotline_ids:
        return set()
    rows = await conn.execute(
        select(audit_log.c.target_id).where(
            audit_log.c.action == NOT_HELD_ACTION,
            audit_log.c.target_type == "hotline",
            audit_log.c.target_id.in_([str(i) for i in hotline_ids]),
        )
    )
    return {int(target) for (target,) in rows}


def _hotline_row(row: Any, by: Mapping[str, int]) -> HotlineRow:
    answered = by.get(QuestionStatus.ANSWERED.value, 0)
    rejected = by.get(QuestionStatus.REJECTED.value, 0)
    waiting = by.get(QuestionStatus.NEW.value, 0) + by.get(QuestionStatus.ASSIGNED.value, 0)
    return HotlineRow(
        id=int(row.id),
        topic=row.topic,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        received=answered + rejected + waiting,
        answered=answered,
        rejected=rejected,
        waiting=waiting,
        banned=by.get(QuestionStatus.BANNED.value, 0),
    )


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile: a value that really occurred, as offices report it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


async def _answer_times(conn: AsyncConnection, period: Period) -> list[AnswerTimes]:
    """From a question's arrival to its (first recorded) answer, for questions answered in
    the period, by the platform the citizen wrote from."""
    rows = await conn.execute(
        select(citizens.c.platform, questions.c.created_at, questions.c.answered_at)
        .join(citizens, citizens.c.id == questions.c.citizen_id)
        .where(
            questions.c.status == QuestionStatus.ANSWERED.value,
            questions.c.answered_at >= period.start,
            questions.c.answered_at < period.end,
        )
    )
    waits: dict[str, list[float]] = defaultdict(list)
    for platform, created, answered in rows:
        waits[platform].append(max(0.0, (answered - created).total_seconds() / 3600))
    return [
        AnswerTimes(
            platform=platform,
            answered=len(hours),
            median_hours=float(statistics.median(hours)),
            p90_hours=percentile(hours, 0.9),
        )
        for platform, hours in sorted(waits.items())
    ]


async def _alerts(
    conn: AsyncConnection, period: Period, titles: Mapping[str, str]
) -> list[AlertRow]:
    """Alerts made in the period that queued at least one notice (a cancelled one counts
    for what it had queued before it was cancelled)."""
    rows = await conn.execute(
        select(
            alerts.c.topic,
            func.count(),
            func.sum(alerts.c.queued),
            func.sum(alerts.c.blocked),
            func.sum(alerts.c.skipped),
        )
        .where(
            alerts.c.created_at >= period.start,
            alerts.c.created_at < period.end,
            alerts.c.queued > 0,
        )
        .group_by(alerts.c.topic)
        .order_by(alerts.c.topic)
    )
    return [
        AlertRow(
            topic=str(topic),
            title=titles.get(str(topic), str(topic)),
            alerts=int(n),
            queued=int(queued or 0),
            blocked=int(blocked or 0),
            skipped=int(skipped or 0),
        )
        for topic, n, queued, blocked, skipped in rows
    ]


async def _reach(conn: AsyncConnection, period: Period) -> list[Reach]:
    asked = await conn.execute(
        select(citizens.c.platform, func.count(func.distinct(questions.c.citizen_id)))
        .join(citizens, citizens.c.id == questions.c.citizen_id)
        .where(questions.c.created_at >= period.start, questions.c.created_at < period.end)
        .group_by(citizens.c.platform)
    )
    answered = await conn.execute(
        select(citizens.c.platform, func.count(func.distinct(questions.c.citizen_id)))
        .join(citizens, citizens.c.id == questions.c.citizen_id)
        .where(
            questions.c.status == QuestionStatus.ANSWERED.value,
            questions.c.answered_at >= period.start,
            questions.c.answered_at < period.end,
        )
        .group_by(citizens.c.platform)
    )
    by_asked = {p: int(n) for p, n in asked}
    by_answered = {p: int(n) for p, n in answered}
    return [
        Reach(platform=p, asked=by_asked.get(p, 0), answered=by_answered.get(p, 0))
        for p in sorted(set(by_asked) | set(by_answered))
    ]
