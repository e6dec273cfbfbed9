"""SQLite statements run on the event loop's own thread, for short write transactions.

Through aiosqlite every statement, BEGIN and COMMIT is a hand-off to the connection's
thread and back. On a busy 2-core machine each hand-off waits for the GIL and for the
event loop's next turn — milliseconds, where SQLite needs tens of microseconds for a small
statement. The group commits of intake and of the outbox's journal run many small write
transactions whose callers wait for them, so there the hand-offs, not SQLite, set the pace.

This dialect is the one-trip dialect (:mod:`shared.storage.fastsqlite`) whose connections
can, for one transaction at a time, run each call at once on the calling thread
(:func:`inline`): a statement then waits for nothing but SQLite. Same connection, same
pragmas, same ``BEGIN IMMEDIATE`` and the same commit, so such a transaction is exactly as
durable as one through the thread. The loop's thread must never sleep waiting for a lock:
the connection kept for inline transactions has no busy timeout (:func:`hold_for_inline`),
and
:class:`shared.storage.engine.Database` runs a transaction that finds the database locked
(another process writing) through the thread instead. Only short transactions belong
here: while one runs, nothing else on the loop does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import aiosqlite
from sqlalchemy.dialects import registry

from shared.storage.fastsqlite import OneTripConnection, OneTripDbapi, OneTripDialect

DRIVER = "glashatai_inline"


class InlineAiosqlite(aiosqlite.Connection):
    """An aiosqlite connection whose calls may run on the caller's thread."""

    inline = False

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self.inline:
            return await super()._execute(fn, *args, **kwargs)  # type: ignore[no-untyped-call]
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)


def hold_for_inline(driver_connection: Any) -> None:
    """Make a connection kept for inline transactions only: no busy timeout, ever.

    The loop's thread must never sleep in SQLite's busy handler; a transaction that finds
    the database locked runs on another connection, through its thread. Set once when the
    connection is taken for this, not per transaction (two more calls into SQLite each).
    """
    if isinstance(driver_connection, InlineAiosqlite):
        driver_connection._conn.execute("PRAGMA busy_timeout=0")


@contextmanager
def inline(driver_connection: Any) -> Iterator[None]:
    """Run the connection's calls on this thread until the end of the block."""
    if not isinstance(driver_connection, InlineAiosqlite):
        yield
        return
    driver_connection.inline = True
    try:
        yield
    finally:
        driver_connection.inline = False


class InlineDbapi(OneTripDbapi):
    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        # Opened on aiosqlite's thread; used from the loop's while inline.
        kw["check_same_thread"] = False
        adapted = super().connect(*arg, **kw)
        adapted._connection.__class__ = InlineAiosqlite  # type: ignore[assignment]
        return adapted


class InlineDialect(OneTripDialect):
    driver = DRIVER
    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> InlineDbapi:
        return InlineDbapi(__import__("aiosqlite"), __import__("sqlite3"))


registry.register(f"sqlite.{DRIVER}", __name__, "InlineDialect")
