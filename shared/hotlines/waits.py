"""How long something waited, as a moderator reads it on a card or a list."""

from __future__ import annotations

from datetime import timedelta

from shared.texts import Texts


def waited(delta: timedelta, texts: Texts) -> str:
    """A wait as a person says it: «40 мин», «3 ч 5 мин», «2 дн. 4 ч»."""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        parts = [texts("deadlines.days", n=days)]
        if hours:
            parts.append(texts("deadlines.hours", n=hours))
    elif hours:
        parts = [texts("deadlines.hours", n=hours)]
        if minutes:
            parts.append(texts("deadlines.minutes", n=minutes))
    else:
        parts = [texts("deadlines.minutes", n=minutes)]
    return " ".join(parts)
