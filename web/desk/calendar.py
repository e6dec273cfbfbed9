"""The calendar's grid: a month (whole weeks, Monday first) or one week, in the office's
time zone, with each post on its local day."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from web.desk.queries import Entry


class View(StrEnum):
    MONTH = "month"  # whole weeks covering one month
    WEEK = "week"  # Monday to Sunday


@dataclass
class Day:
    day: date
    in_focus: bool  # in the month shown (a month grid has its neighbours' days at the edges)
    today: bool
    entries: list[Entry] = field(default_factory=list)


@dataclass(frozen=True)
class Period:
    view: View
    focus: date  # the day the period was asked for
    first: date
    last: date  # inclusive

    @property
    def previous(self) -> date:
        if self.view is View.WEEK:
            return self.focus - timedelta(days=7)
        return (self.focus.replace(day=1) - timedelta(days=1)).replace(day=1)

    @property
    def next(self) -> date:
        if self.view is View.WEEK:
            return self.focus + timedelta(days=7)
        return (self.focus.replace(day=28) + timedelta(days=4)).replace(day=1)

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """The period as UTC instants ``[start, end)``."""
        start = datetime.combine(self.first, time(0), tz)
        end = datetime.combine(self.last + timedelta(days=1), time(0), tz)
        return start.astimezone(UTC), end.astimezone(UTC)


def period(view: View, focus: date) -> Period:
    if view is View.WEEK:
        first = focus - timedelta(days=focus.weekday())
        return Period(view, focus, first, first + timedelta(days=6))
    start = focus.replace(day=1)
    month_last = (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    first = start - timedelta(days=start.weekday())
    last = month_last + timedelta(days=6 - month_last.weekday())
    return Period(view, focus, first, last)


def weeks(p: Period, entries: list[Entry], tz: ZoneInfo, today: date) -> list[list[Day]]:
    """Rows of seven days, each with its posts in time order."""
    days: dict[date, Day] = {}
    current = p.first
    while current <= p.last:
        in_focus = p.view is View.WEEK or current.month == p.focus.month
        days[current] = Day(current, in_focus, current == today)
        current += timedelta(days=1)
    for entry in entries:
        local = entry.when.astimezone(tz).date()
        if local in days:
            days[local].entries.append(entry)
    ordered = list(days.values())
    return [ordered[i : i + 7] for i in range(0, len(ordered), 7)]
