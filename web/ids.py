"""Numbers taken from a URL: ids in a path and ``?page=N``.

aiohttp's ``\\d`` and Python's ``str.isdigit`` accept any Unicode digit («³», «٣», «③»), and
an id may be longer than the database's integer: both are refused here, before a query.
"""

from __future__ import annotations

from aiohttp import web

# The largest id the database holds (BIGINT on PostgreSQL, INTEGER on SQLite: 64 bits).
MAX_ID = 2**63 - 1


def number(raw: str) -> int | None:
    """``raw`` as a non-negative integer when it is written in ASCII digits only, else None."""
    if not raw or not raw.isascii() or not raw.isdigit():
        return None
    return int(raw)


def path_id(request: web.Request, name: str) -> int:
    """The id in the path's ``name`` part; 404 when no row could have it."""
    value = number(request.match_info[name])
    if value is None or value > MAX_ID:
        raise web.HTTPNotFound()
    return value
