"""Quiet hours: when non-urgent posts wait, in the office's time zone."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from config.settings import Settings


def in_quiet(start: time, end: time, local: time) -> bool:
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


def quiet_until(settings: Settings, now: datetime) -> datetime | None:
    """The end of the quiet hours ``now`` falls in (aware UTC), or None outside them."""
    start, end = settings.publishing.quiet_hours_start, settings.publishing.quiet_hours_end
    if start is None or end is None:
        return None
    tz = settings.tz
    local = now.astimezone(tz)
    if not in_quiet(start, end, local.time().replace(tzinfo=None)):
        return None
    candidate = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if candidate <= local:
        candidate = (local + timedelta(days=1)).replace(
            hour=end.hour, minute=end.minute, second=0, microsecond=0
        )
    return candidate.astimezone(now.tzinfo)
