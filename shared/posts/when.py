"""Dates and times as people type them, in the office's time zone.

Accepted: ``27.11 10:00``, ``27.11.2026 10:00``, ``2026-12-01 10:00`` (or
``2026-12-01T10:00``, as ``hotline create`` takes it), ``10:00``,
``сегодня 18:30``, ``завтра 9:00``, ``послезавтра 9``, ``через 2 часа``,
``через 30 минут``, ``через час``, ``через 3 дня``. The result is aware UTC.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared.errors import InvalidInput

_TIME = r"(?P<h>\d{1,2})(?:[:.](?P<m>\d{2})(?::(?P<s>\d{2}))?)?"
_DOTTED = re.compile(
    rf"^(?P<d>\d{{1,2}})\.(?P<mo>\d{{1,2}})(?:\.(?P<y>\d{{2}}|\d{{4}}))?(?:\s+(?:в\s+)?{_TIME})?$"
)
# Matched against the lower-cased text: ISO's «T» (``2026-12-01T10:00``) arrives as «t».
_ISO = re.compile(rf"^(?P<y>\d{{4}})-(?P<mo>\d{{1,2}})-(?P<d>\d{{1,2}})(?:[ t]{_TIME})?$")
_WORD = re.compile(rf"^(?P<w>сегодня|завтра|послезавтра)(?:\s+(?:в\s+)?{_TIME})?$")
_CLOCK = re.compile(rf"^(?:в\s+)?{_TIME}$")
_IN = re.compile(
    r"^через\s+(?:(?P<n>\d+(?:[.,]\d+)?)\s+)?"
    r"(?P<u>минут[уы]?|мин|час(?:а|ов)?|ч|д(?:ень|ня|ней)|сут(?:ки|ок))$"
)
_DAY_OFFSETS = {"сегодня": 0, "завтра": 1, "послезавтра": 2}


def _clock(h: str | None, m: str | None, default: time | None, s: str | None = None) -> time:
    if h is None:
        if default is None:
            raise ValueError("no time")
        return default
    return time(int(h), int(m or 0), int(s or 0))


def parse_when(text: str, now: datetime, tz: ZoneInfo) -> datetime:
    """The moment ``text`` names; ``InvalidInput`` (carrying the text) when it names none."""
    raw = " ".join(text.strip().lower().replace("ё", "е").split())
    local_now = now.astimezone(tz)
    try:
        if match := _IN.match(raw):
            n = float((match["n"] or "1").replace(",", "."))
            unit = match["u"]
            if unit.startswith("мин"):
                delta = timedelta(minutes=n)
            elif unit.startswith(("ч", "час")):
                delta = timedelta(hours=n)
            else:
                delta = timedelta(days=n)
            return (now + delta).replace(microsecond=0)
        if match := _WORD.match(raw):
            day = local_now.date() + timedelta(days=_DAY_OFFSETS[match["w"]])
            at = _clock(match["h"], match["m"], time(9, 0) if match["w"] != "сегодня" else None)
            return _aware(day, at, tz)
        if match := _DOTTED.match(raw):
            year = match["y"]
            day = date(
                (2000 + int(year) if len(year) == 2 else int(year)) if year else local_now.year,
                int(match["mo"]),
                int(match["d"]),
            )
            at = _clock(match["h"], match["m"], time(9, 0))
            result = _aware(day, at, tz)
            if year is None and result < now - timedelta(days=1):
                result = _aware(day.replace(year=day.year + 1), at, tz)
            return result
        if match := _ISO.match(raw):
            day = date(int(match["y"]), int(match["mo"]), int(match["d"]))
            return _aware(day, _clock(match["h"], match["m"], time(9, 0), match["s"]), tz)
        if match := _CLOCK.match(raw):
            at = _clock(match["h"], match["m"], None)
            result = _aware(local_now.date(), at, tz)
            if result <= now:
                result = _aware(local_now.date() + timedelta(days=1), at, tz)
            return result
    except (ValueError, OverflowError):  # no such date, or one beyond the calendar
        pass
    raise InvalidInput(text.strip()[:40])


def _aware(day: date, at: time, tz: ZoneInfo) -> datetime:
    from datetime import UTC

    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)
