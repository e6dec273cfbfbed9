"""Engines and transactions for SQLite (the embedded default) and PostgreSQL.

On SQLite every connection gets WAL, ``synchronous=NORMAL``, a ``busy_timeout`` and a
journal size limit, and writes open with ``BEGIN IMMEDIATE``: a deferred transaction that
upgrades to a write fails at once with "database is locked", ignoring ``busy_timeout``.

On PostgreSQL a write transaction takes one transaction-scoped advisory lock, so the same
read-modify-write code is serialised there exactly as on SQLite (READ COMMITTED alone
would let two writers read the same row and lose one update).

Short write transactions that many callers wait for (the group commits of intake and of
the outbox's journal) may run ``inline`` on SQLite: on the event loop's thread, without
aiosqlite's hand-offs (:mod:`shared.storage.inlinesqlite`).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from shared.storage import inlinesqlite, writebehind

WRITE_LOCK_KEY = 0x676C6173  # "glas": one lock for all of Glashatai's write transactions

BUSY_TIMEOUT_MS = 10000
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
    "PRAGMA journal_size_limit=67108864",
    "PRAGMA foreign_keys=ON",
)
SQLITE_BUSY, SQLITE_LOCKED = 5, 6  # primary result codes: another connection holds a lock


def fast_sqlite(url: str) -> str:
    """``sqlite+aiosqlite://`` served by the one-trip-per-statement dialect whose write
    transactions may run inline (:mod:`shared.storage.inlinesqlite`)."""
    parsed = make_url(url)
    if parsed.drivername != "sqlite+aiosqlite":
        return url
    return parsed.set(drivername=f"sqlite+{inlinesqlite.DRIVER}").render_as_string(
        hide_password=False
    )


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _prepare_sqlite_file(url: str) -> None:
    """Create the folder; refuse at once if SQLite could not write there.

    SQLite needs the folder too (WAL and shared-memory files); failing here gives a clear
    error, where a failed open leaves aiosqlite's thread to crash at interpreter exit.
    """
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        path = Path(database).expanduser()
        path.parent.mkdir(parents=True, exist_ok=True)
        for target in (path.parent, path):
            if target.exists() and not os.access(target, os.R_OK | os.W_OK):
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(target))


def _install_sqlite_hooks(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so that BEGIN is ours to emit.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        if inlinesqlite.runs_inline(conn.connection.driver_connection):
            return  # the inline dialect's do_begin emits it, without a statement's round
        mode = "IMMEDIATE" if conn.get_execution_options().get("glashatai_write") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")


class Database:
    """One engine and the two ways the code uses it: read and read-modify-write."""

    def __init__(
        self, url: str, *, echo: bool = False, connect_args: dict[str, Any] | None = None
    ) -> None:
        self.url = url
        self.sqlite = is_sqlite(url)
        self.connect_args = dict(connect_args or {})
        kwargs: dict[str, Any] = {"echo": echo, "connect_args": dict(connect_args or {})}
        if self.sqlite:
            _prepare_sqlite_file(url)
            kwargs["connect_args"].setdefault("timeout", 10)
            url = fast_sqlite(url)
        else:
            kwargs["pool_pre_ping"] = True
            # asyncpg waits 60 s for an unreachable host by default: a command would hang.
            kwargs["connect_args"].setdefault("timeout", 10)
        self.engine = create_async_engine(url, **kwargs)
        # Writers in this process queue here rather than in SQLite's busy handler, which
        # sleeps in growing steps and would cut throughput many times over.
        self._write_lock = asyncio.Lock()
        self._inline = self.sqlite and self.engine.dialect.driver == inlinesqlite.DRIVER
        # The connection inline transactions use, held: no pool checkout and reset each time.
        self._writer: tuple[AsyncConnection, Any] | None = None
        if self.sqlite:
            _install_sqlite_hooks(self.engine)
        writebehind.install(self.engine)

    @asynccontextmanager
    async def write(self, *, inline: bool = False) -> AsyncIterator[AsyncConnection]:
        """A transaction that may write: ``BEGIN IMMEDIATE`` on SQLite.

        Writes queued with :mod:`shared.storage.writebehind` are sent before the commit.
        ``inline``: a short transaction, run on the event loop's thread on SQLite (see
        :mod:`shared.storage.inlinesqlite`); while another process holds the write lock it
        runs through aiosqlite's thread as usual, waiting there for the lock.
        """
        async with self._write_lock, contextlib.AsyncExitStack() as stack:
            conn: AsyncConnection | None = None
            if inline and self._inline:
                try:
                    conn = stack.enter_context(await self._begin_inline())
                except OperationalError as exc:
                    if not locked(exc):
                        raise
                else:
                    with self._queued(conn):
                        yield conn
                        writebehind.flush_now(conn)  # inline: plain calls, nothing to await
                    return
            conn = await stack.enter_async_context(self._begin())
            with self._queued(conn):
                yield conn
                await writebehind.flush(conn)

    @staticmethod
    @contextlib.contextmanager
    def _queued(conn: AsyncConnection) -> Iterator[None]:
        writebehind.begin(conn)
        try:
            yield
        finally:
            writebehind.end(conn)

    @asynccontextmanager
    async def _begin(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn:
            conn = await conn.execution_options(glashatai_write=True)
            async with conn.begin():
                if not self.sqlite:
                    await conn.execute(
                        text("SELECT pg_advisory_xact_lock(:k)"), {"k": WRITE_LOCK_KEY}
                    )
                yield conn

    async def _begin_inline(self) -> contextlib.AbstractContextManager[AsyncConnection]:
        conn, driver = await self._inline_writer()
        return _inline_transaction(conn, driver)

    async def _inline_writer(self) -> tuple[AsyncConnection, Any]:
        """The held connection of inline transactions; a fresh one if it was lost."""
        held = self._writer
        if held is not None and not held[0].closed and not held[0].invalidated:
            return held
        self._writer = None
        if held is not None:
            with contextlib.suppress(Exception):
                await held[0].close()
        conn = await self.engine.connect()
        try:
            conn = await conn.execution_options(glashatai_write=True)
            raw = await conn.get_raw_connection()
            inlinesqlite.hold_for_inline(raw.driver_connection)
        except BaseException:
            await conn.close()
            raise
        self._writer = (conn, raw.driver_connection)
        return self._writer

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn, conn.begin():
            yield conn

    async def dispose(self) -> None:
        # Under the write lock: an inline transaction (or its connection's opening) that
        # is under way ends first, and its held connection is then closed.
        async with self._write_lock:
            held, self._writer = self._writer, None
            if held is not None:
                with contextlib.suppress(Exception):
                    await held[0].close()
        await self.engine.dispose()


@contextlib.contextmanager
def _inline_transaction(conn: AsyncConnection, driver: Any) -> Iterator[AsyncConnection]:
    """Begin and end the held connection's transaction with plain calls: inline, its
    BEGIN, COMMIT and ROLLBACK need no trip through SQLAlchemy's asyncio layer."""
    with inlinesqlite.inline(driver):
        sync = conn.sync_connection
        assert sync is not None
        with sync.begin():
            yield conn


def locked(exc: OperationalError) -> bool:
    """SQLite said another connection holds the lock (busy or locked)."""
    code = getattr(exc.orig, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (SQLITE_BUSY, SQLITE_LOCKED)
