"""Making the report for a period, and sending it to the admin chat through the outbox.

The Word file goes first with a short summary as its caption, then the charts as photos
(an album): the admin chat reads the figures without opening the file.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from config.settings import ADMIN_PLATFORM
from shared.alerts import topics
from shared.clock import utcnow
from shared.domain import MediaKind, OutboxAction
from shared.errors import InvalidInput
from shared.hotlines import cards
from shared.hotlines.model import PRIORITY_MODERATOR
from shared.outbox import store
from shared.outbox.model import OutboxMessage
from shared.outbox.payload import message
from shared.reports import charts, document, figures
from shared.reports.charts import Chart
from shared.reports.figures import Period, Report
from shared.richtext import Document, from_plain
from shared.services import Services
from shared.storage import audit, media
from shared.storage.media import MediaOwner
from shared.texts import Texts
from shared.wordfile import DOCX_MIME

FIRST_YEAR, LAST_YEAR = 2000, 2999  # the years a report may name

_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$|^(\d{2})\.(\d{2})\.(\d{4})$")


class ReportRef(StrEnum):
    FILE = "report"  # the report's .docx with its summary; ref_id is the file's media id
    CHARTS = "report_charts"  # the report's charts as an album; ref_id is the .docx's media id


@dataclass(frozen=True)
class Made:
    report: Report
    charts: list[Chart]
    docx: bytes


# What a date that can't be read is answered with: the way to write one where it was typed.
BAD_DATE = "report.bad_date"  # the admin chat's /report
BAD_DATE_CLI = "cli.report.bad_date"  # glashatai report --from … --to …


def parse_day(value: str, texts: Texts, bad_date: str = BAD_DATE) -> date:
    """``2026-01-31`` or ``31.01.2026``; ``bad_date``: the text key of the answer to
    anything else."""
    found = _DAY.match(value.strip())
    try:
        if found is None:
            raise ValueError(value)
        if found.group(1):
            day = date(int(found.group(1)), int(found.group(2)), int(found.group(3)))
        else:
            day = date(int(found.group(6)), int(found.group(5)), int(found.group(4)))
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise ValueError(value)  # a typo; and the calendar's last day has no day after
        return day
    except ValueError:
        raise InvalidInput(texts(bad_date, value=value.strip())) from None


def period(
    first: str | None,
    last: str | None,
    tz: ZoneInfo,
    texts: Texts,
    now: datetime | None = None,
    bad_date: str = BAD_DATE,
) -> Period:
    """The dates given. Without a start: from 1 January of the end's year (a report for
    last year needs only its last day); without either, this year up to today.
    ``bad_date``: as for :func:`parse_day`."""
    today = (now or utcnow()).astimezone(tz).date()
    given = parse_day(first, texts, bad_date) if first else None
    end = parse_day(last, texts, bad_date) if last else max(given or today, today)
    start = given if given is not None else date(end.year, 1, 1)
    if start > end:
        raise InvalidInput(
            texts("report.bad_period", first=f"{start:%d.%m.%Y}", last=f"{end:%d.%m.%Y}")
        )
    return Period(start, end, tz)


def _render(report: Report, texts: Texts, author: str) -> Made:
    drawn = charts.draw(report, texts)
    return Made(report, drawn, document.docx(report, texts, drawn, author))


def topic_titles(services: Services) -> dict[str, str]:
    """Alert topics' titles from the office's topics file (or the shipped one); a file that
    can't be read leaves the keys, as the alerts feature itself reports that file."""
    try:
        found = topics.load(services.settings.alerts.topics_file)
    except InvalidInput:
        return {}
    return {topic.key: topic.title for topic in found}


async def collect(services: Services, span: Period) -> Report:
    """The figures, counted in one read transaction."""
    async with services.db.read() as conn:
        return await figures.collect(conn, span, topic_titles(services))


async def make(services: Services, span: Period) -> Made:
    """Counted, then drawn and written in a thread (matplotlib and python-docx take a
    second or two that the event loop must not wait for)."""
    report = await collect(services, span)
    return await asyncio.to_thread(_render, report, services.texts, services.settings.office_name)


def summary(made: Made, texts: Texts) -> Document:
    report = made.report
    published = sum(r.published for r in report.releases.values())
    answers = sum(t.answered for t in report.answer_times)
    return from_plain(
        texts(
            "report.caption",
            period=document.period_label(report),
            published=published,
            hotlines=len(report.hotlines),
            answers=answers,
        )
    )


async def to_admin_chat(
    services: Services, span: Period, actor: str, reply_to: int | None = None
) -> None:
    """The .docx with its summary, then the charts as an album, both through the outbox."""
    texts = services.texts
    chat = cards.admin_chat(services.settings)
    if chat is None:
        raise InvalidInput(texts("report.no_admin_chat"))
    made = await make(services, span)
    async with services.db.write() as conn:
        file_id = await media.add(
            conn,
            owner_type=MediaOwner.REPORT,
            owner_id=0,
            kind=MediaKind.DOCUMENT,
            filename=document.filename(made.report),
            mime=DOCX_MIME,
            data=made.docx,
        )
        await _send(conn, chat, summary(made, texts), [file_id], ReportRef.FILE, file_id, reply_to)
        if made.charts:
            photos = [
                media.NewFile(MediaKind.PHOTO, chart.filename, "image/png", chart.png)
                for chart in made.charts
            ]
            ids = await media.add_all(conn, MediaOwner.REPORT, file_id, photos)
            await _send(conn, chat, Document(), ids, ReportRef.CHARTS, file_id, None)
        await audit.record(
            conn,
            actor,
            "report.sent",
            "report",
            file_id,
            first=span.first.isoformat(),
            last=span.last.isoformat(),
        )
    services.wake_outbox()


async def _send(
    conn: AsyncConnection,
    chat: str,
    doc: Document,
    ids: Sequence[int],
    ref: ReportRef,
    ref_id: int,
    reply_to: int | None,
) -> None:
    await store.enqueue(
        conn,
        OutboxMessage(
            platform=ADMIN_PLATFORM,
            action=OutboxAction.SEND,
            destination=chat,
            payload=message(doc, media=list(ids), reply_to=reply_to),
            priority=PRIORITY_MODERATOR,
            ref_type=ref,
            ref_id=ref_id,
        ),
    )
