"""One running instance per database.

Two processes polling the same bots and sharing one outbox answer every message twice and
claim each other's sends. Until several instances can share the work, the first ``run``
holds the database and a second one stops at once, naming the holder:

* SQLite: an exclusive ``flock`` on ``<database>.lock`` beside the file, which holds the
  holder's pid, host and start time. The kernel drops the lock when the process dies, so a
  killed instance never leaves a stale lock behind.
* PostgreSQL: a session advisory lock on a connection kept open for the process lifetime.
  The key is derived from the database and schema names, so two schemas of one server are
  two databases here; the holder is named by the connection's ``application_name``.

Commands that only read or add rows (``post``, ``hotline``, ``check``) take no lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from shared.errors import GlashataiError
from shared.storage.engine import Database

APPLICATION_PREFIX = "glashatai run"


class AlreadyRunning(GlashataiError):
    """Another ``glashatai run`` holds this database; the message names it."""

    def __init__(self, holder: str) -> None:
        super().__init__(holder)
        self.holder = holder


def describe_holder() -> dict[str, Any]:
    return {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "since": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
    }


def holder_line(info: dict[str, Any]) -> str:
    return f"pid {info.get('pid', '?')} on {info.get('host', '?')} since {info.get('since', '?')}"


class InstanceLock:
    """Held from :meth:`acquire` until :meth:`release` (or the process's end)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._fd: int | None = None
        self._engine: AsyncEngine | None = None
        self._conn: AsyncConnection | None = None

    @property
    def path(self) -> Path | None:
        """The lock file beside a SQLite database (None on PostgreSQL or in memory)."""
        database = self.db.engine.url.database
        if not self.db.sqlite or not database or database == ":memory:":
            return None
        if database.startswith("file:"):
            return None
        return Path(database).expanduser().with_name(Path(database).name + ".lock")

    async def acquire(self) -> None:
        if self.db.sqlite:
            self._acquire_file()
        else:
            await self._acquire_advisory()

    async def check(self) -> bool:
        """True while the lock is held; False if it had to be taken again.

        A PostgreSQL advisory lock lives as long as its connection: if the server dropped
        the connection (a restart), the lock is taken again, or :class:`AlreadyRunning`
        says another instance got there first.
        """
        if self._conn is None:
            return True
        try:
            await self._conn.execute(text("SELECT 1"))
            await self._conn.commit()
            return True
        except (DBAPIError, OSError):
            pass
        with contextlib.suppress(Exception):
            await self._conn.close()
        self._conn = None
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None
        await self._acquire_advisory()
        return False

    async def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing drops the flock
            self._fd = None
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.close()
            self._conn = None
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    # --- SQLite ------------------------------------------------------------------------

    def _acquire_file(self) -> None:
        path = self.path
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raw = os.pread(fd, 4096, 0)
            os.close(fd)
            try:
                info = json.loads(raw.decode("utf-8"))
            except ValueError:
                info = {}
            raise AlreadyRunning(holder_line(info)) from None
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(describe_holder()).encode("utf-8"), 0)
        self._fd = fd

    # --- PostgreSQL --------------------------------------------------------------------

    async def _acquire_advisory(self) -> None:
        info = describe_holder()
        name = f"{APPLICATION_PREFIX} {holder_line(info)}"[:63]
        connect_args = dict(self.db.connect_args)
        server_settings = dict(connect_args.get("server_settings", {}))
        server_settings["application_name"] = name
        connect_args["server_settings"] = server_settings
        self._engine = create_async_engine(
            self.db.engine.url, poolclass=NullPool, connect_args=connect_args
        )
        conn = await self._engine.connect()
        try:
            where = await conn.execute(text("SELECT current_database(), current_schema()"))
            database, schema = where.one()
            key = advisory_key(str(database), str(schema))
            got = await conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": key})
            await conn.commit()
            if not got:
                holder = await conn.scalar(
                    text(
                        "SELECT a.application_name FROM pg_locks l"
                        " JOIN pg_stat_activity a ON a.pid = l.pid"
                        " WHERE l.locktype = 'advisory' AND l.granted"
                        " AND l.classid = :hi AND l.objid = :lo AND l.objsubid = 1"
                        " AND l.database = (SELECT oid FROM pg_database"
                        "                   WHERE datname = current_database())"
                    ),
                    {"hi": (key >> 32) & 0xFFFFFFFF, "lo": key & 0xFFFFFFFF},
                )
                await conn.close()
                await self._engine.dispose()
                self._engine = None
                label = str(holder or "").removeprefix(APPLICATION_PREFIX).strip()
                raise AlreadyRunning(label or "another process")
        except AlreadyRunning:
            raise
        except BaseException:
            await conn.close()
            raise
        self._conn = conn


def advisory_key(database: str, schema: str) -> int:
    """A signed 64-bit key for one database and schema (pg advisory locks take a bigint)."""
    digest = hashlib.blake2b(f"glashatai-instance:{database}:{schema}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)
