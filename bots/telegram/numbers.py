"""Numbers typed in the admin chat's commands: ``/ban 5``, ``/close_hotline №3``, ``/digest #2``.

``str.isdigit`` takes any Unicode digit: «١» (an Arabic-Indic one, which ``int`` reads as 1,
so ``/close_hotline ١`` closed hotline №1) and «²» (which ``int`` refuses: the handler
failed in silence). A number may also be longer than the database's integer, and the query
then fails instead of finding nothing. Here only ASCII digits make a number, and a number no
record can have is not looked up.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from shared.errors import NotFound

# The largest id the database holds (BIGINT on PostgreSQL, INTEGER on SQLite: 64 bits).
MAX_ID = 2**63 - 1
# What may stand before a record's number, as people write it: «№ 5», «#5».
SIGNS = ("№", "#")


def number(raw: str | None) -> int | None:
    """``raw`` as a non-negative integer when it is ASCII digits (a «№» or «#» before it
    allowed, spaced or not), else None. Not capped: see :func:`acted_on`."""
    text = raw or ""
    for sign in SIGNS:
        text = text.replace(sign, " ")
    text = text.strip()
    if not text or not text.isascii() or not text.isdigit():
        return None
    return int(text)


def words(raw: str | None) -> list[str]:
    """A command's arguments split at spaces, a «№» or «#» counted as a space."""
    text = raw or ""
    for sign in SIGNS:
        text = text.replace(sign, " ")
    return text.split()


def can_exist(value: int) -> bool:
    """Whether a record could have this id (ids start at 1 and fit the database)."""
    return 0 < value <= MAX_ID


async def acted_on(value: int, act: Callable[[int], Awaitable[object]]) -> bool:
    """Run ``act(value)``; False when no record has that id: one the database could not
    hold is not asked for, and a ``NotFound`` from ``act`` means the same (its
    transaction rolled back)."""
    if not can_exist(value):
        return False
    try:
        await act(value)
    except NotFound:
        return False
    return True
