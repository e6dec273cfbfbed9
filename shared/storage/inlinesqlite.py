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

import collections
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import aiosqlite
from sqlalchemy.dialects import registry
from sqlalchemy.util.concurrency import in_greenlet

from shared.storage.fastsqlite import (
    OneTripConnection,
    OneTripCursor,
    OneTripDbapi,
    OneTripDialect,
    run_statement,
)

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


def _inline_sqlite(adapted: Any) -> sqlite3.Connection | None:
    """The connection's own ``sqlite3`` connection while it runs inline, else None."""
    aio = adapted._connection
    if not getattr(aio, "inline", False):
        return None
    if not aio._running or not aio._connection:
        raise ValueError("Connection closed")
    conn: sqlite3.Connection = aio._conn
    return conn


class InlineCursor(OneTripCursor):
    """Inline and called from plain code (not from inside SQLAlchemy's asyncio layer,
    which requires its statements to await), a statement is a plain call too."""

    __slots__ = ()

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        if not self._took(operation, parameters, False):
            return super().execute(operation, parameters)
        return None

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        if not self._took(operation, seq_of_parameters, True):
            return super().executemany(operation, seq_of_parameters)
        return None

    def _took(self, operation: Any, parameters: Any, many: bool) -> bool:
        """Run the statement with a plain call if it may be one; False if it may not."""
        raw = None if in_greenlet() else _inline_sqlite(self._adapt_connection)
        if raw is None:
            return False
        description, rows, self._rowcount, self._lastrowid = run_statement(
            raw, operation, parameters, many
        )
        self._description = description
        self._rows = collections.deque(rows)
        return True


class InlineConnection(OneTripConnection):
    """Inline, BEGIN, COMMIT and ROLLBACK are plain calls: no coroutine and no greenlet
    switch, which cost more than SQLite's own work on them. (Statements still go through
    the awaited path: SQLAlchemy's asyncio layer requires an await for them.)"""

    __slots__ = ()
    _cursor_cls = InlineCursor

    def begin_immediate(self) -> bool:
        """``BEGIN IMMEDIATE`` at once if the connection runs inline; False if it does not."""
        raw = _inline_sqlite(self)
        if raw is None:
            return False
        raw.execute("BEGIN IMMEDIATE")
        return True

    def commit(self) -> None:
        raw = _inline_sqlite(self)
        if raw is None:
            super().commit()
        else:
            raw.commit()

    def rollback(self) -> None:
        raw = _inline_sqlite(self)
        if raw is None:
            super().rollback()
        else:
            raw.rollback()


def runs_inline(driver_connection: Any) -> bool:
    """True while the connection runs inline: its BEGIN is the dialect's, not an event's."""
    return bool(getattr(driver_connection, "inline", False))


class InlineDbapi(OneTripDbapi):
    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        # Opened on aiosqlite's thread; used from the loop's while inline.
        kw["check_same_thread"] = False
        adapted = super().connect(*arg, **kw)
        adapted.__class__ = InlineConnection
        adapted._connection.__class__ = InlineAiosqlite  # type: ignore[assignment]
        return adapted


class InlineDialect(OneTripDialect):
    driver = DRIVER
    supports_statement_cache = True

    def do_begin(self, dbapi_connection: Any) -> None:
        # Only inline transactions begin here (always writes: the held connection serves
        # nothing else); the engine's begin event emits the others' BEGIN.
        # SQLAlchemy passes the pool's proxy of the connection.
        adapted = getattr(dbapi_connection, "dbapi_connection", dbapi_connection)
        inline = isinstance(adapted, InlineConnection)
        if not (inline and adapted.begin_immediate()):
            super().do_begin(dbapi_connection)  # type: ignore[no-untyped-call]

    @classmethod
    def import_dbapi(cls) -> InlineDbapi:
        return InlineDbapi(__import__("aiosqlite"), __import__("sqlite3"))


registry.register(f"sqlite.{DRIVER}", __name__, "InlineDialect")
