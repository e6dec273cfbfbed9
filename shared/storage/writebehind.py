"""Write-behind: small writes whose result nobody needs, sent together before they matter.

Intake makes many small writes per message (a citizen's counters and state, a button's
token, the confirmation in the outbox, a card's "carded" flag). Each is one trip to the
database, and the trips, not SQLite, are the cost. Inside ``Database.write()`` such writes
can be queued instead: updates to the same row merge into one, and the queue goes out as
one ``executemany`` per table and column set.

The queue keeps the transaction's meaning: any statement that touches a table first
sends that table's queued writes (an INSERT only needs the queued inserts before it, so
ids stay in order), a statement whose tables can't be told (text, raw SQL) sends
everything, and ``Database.write()`` sends the rest before it commits. A rolled-back
transaction drops its queue. Outside ``Database.write()`` the functions write at once.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, bindparam, event
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.dml import Insert
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.util import find_tables

_KEY = "glashatai_write_behind"


@dataclass
class _Update:
    values: dict[str, Any]
    where: tuple[tuple[str, Any], ...]


@dataclass
class _Queue:
    transaction: Any
    inserts: dict[Table, list[dict[str, Any]]] = field(default_factory=dict)
    updates: dict[Table, dict[Any, _Update]] = field(default_factory=dict)
    sending: bool = False

    def __bool__(self) -> bool:
        return bool(self.inserts or self.updates)

    def queued(self) -> list[Table]:
        """Tables with queued writes, in the order first queued."""
        return list(dict.fromkeys([*self.inserts, *self.updates]))

    def send(self, conn: Connection, tables: Iterable[Table] | None, inserts_only: bool) -> None:
        """Execute the queued writes for ``tables`` (all when None) on the sync connection,
        each table's inserts before its updates."""
        self.sending = True
        try:
            for table in self.queued() if tables is None else tables:
                rows = self.inserts.pop(table, None)
                if rows:
                    for group in _by_columns(rows):
                        conn.execute(table.insert(), group)
                if inserts_only:
                    continue
                updates = self.updates.pop(table, None)
                if updates:
                    _send_updates(conn, table, updates)
        finally:
            self.sending = False


def _by_columns(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(row), []).append(row)
    return list(groups.values())


def _send_updates(conn: Connection, table: Table, updates: dict[Any, _Update]) -> None:
    # Queued updates address rows by a one-column primary key (every table here has one).
    groups: dict[tuple[tuple[str, ...], tuple[str, ...]], list[dict[str, Any]]] = {}
    for key, pending in updates.items():
        columns = tuple(sorted(pending.values))
        names = tuple(name for name, _ in pending.where)
        params = {f"wb_{name}": value for name, value in pending.where}
        params.update(pending.values)
        params["wb_key"] = key
        groups.setdefault((columns, names), []).append(params)
    for (columns, names), rows in groups.items():
        if conn.dialect.paramstyle == "qmark":
            prepared = _prepared(table, columns, names, conn.dialect)
            conn.exec_driver_sql(prepared.sql, [prepared.row(params) for params in rows])
        else:
            conn.execute(_update_statement(table, names), rows)


@dataclass(frozen=True)
class _Prepared:
    """An UPDATE as the driver takes it: its SQL, and each parameter's name and converter.

    The statement is compiled once; each execution only converts the values (JSON, dates)
    as SQLAlchemy would, skipping its per-execution work, which costs more than SQLite's
    for the small updates of the outbox's journal.
    """

    sql: str
    names: tuple[str, ...]
    converters: tuple[Any, ...]

    def row(self, params: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(
            params[name] if convert is None else convert(params[name])
            for name, convert in zip(self.names, self.converters, strict=True)
        )


@functools.cache
def _update_statement(table: Table, names: tuple[str, ...]) -> Any:
    """Built once per table and condition set: building it costs more than running it."""
    (key_column,) = table.primary_key.columns
    stmt = table.update().where(key_column == bindparam("wb_key"))
    for name in names:
        stmt = stmt.where(table.c[name] == bindparam(f"wb_{name}"))
    return stmt


@functools.cache
def _prepared(
    table: Table, columns: tuple[str, ...], names: tuple[str, ...], dialect: Any
) -> _Prepared:
    compiled = _update_statement(table, names).compile(dialect=dialect, column_keys=list(columns))
    order = tuple(compiled.positiontup or ())
    converters = tuple(compiled.binds[name].type.bind_processor(dialect) for name in order)
    return _Prepared(str(compiled), order, converters)


def _queue(conn: Connection | AsyncConnection, create: bool = False) -> _Queue | None:
    """The queue of the connection's current write transaction, if write-behind is on."""
    sync = conn.sync_connection if isinstance(conn, AsyncConnection) else conn
    if sync is None:
        return None
    transaction = sync.get_transaction()
    if transaction is None:
        return None
    found: _Queue | None = sync.info.get(_KEY)
    if found is not None and found.transaction is transaction:
        return found
    if not create:
        return None
    fresh = _Queue(transaction)
    sync.info[_KEY] = fresh
    return fresh


def begin(conn: AsyncConnection) -> None:
    """Queue this transaction's write-behind writes (``Database.write()`` calls this)."""
    _queue(conn, create=True)


def end(conn: AsyncConnection) -> None:
    """Forget the queue (after commit or rollback); never raises, so the reason the
    transaction ended (a cancellation, say) is the one that propagates."""
    sync = conn.sync_connection
    if sync is None:
        return
    try:
        sync.info.pop(_KEY, None)
    except SQLAlchemyError:
        # A connection left unusable (a statement cancelled mid-way) keeps a stale queue
        # that no later transaction can match: queues are found by transaction.
        return


async def flush(conn: AsyncConnection) -> None:
    queue = _queue(conn)
    if queue:
        await conn.run_sync(lambda sync: queue.send(sync, None, inserts_only=False))


def flush_now(conn: AsyncConnection) -> None:
    """:func:`flush` for a connection whose calls need no await (an inline SQLite one)."""
    queue = _queue(conn)
    if queue and conn.sync_connection is not None:
        queue.send(conn.sync_connection, None, inserts_only=False)


async def insert(conn: AsyncConnection, table: Table, row: dict[str, Any]) -> None:
    """INSERT ``row`` into ``table``, now or with the transaction's other queued writes."""
    queue = _queue(conn)
    if queue is None:
        await conn.execute(table.insert(), row)
        return
    queue.inserts.setdefault(table, []).append(row)


async def update(
    conn: AsyncConnection,
    table: Table,
    key: Any,
    values: dict[str, Any],
    *,
    where: dict[str, Any] | None = None,
) -> None:
    """UPDATE the row whose primary key is ``key`` (and matches ``where``), now or later.

    Queued updates of one row merge; a later value for a column wins, as it would have.
    """
    conditions = tuple(sorted((where or {}).items()))
    queue = _queue(conn)
    if queue is not None:
        pending = queue.updates.setdefault(table, {})
        same = pending.get(key)
        if same is None:
            pending[key] = _Update(dict(values), conditions)
            return
        if same.where == conditions:
            same.values.update(values)
            return
        await flush(conn)
        queue.updates.setdefault(table, {})[key] = _Update(dict(values), conditions)
        return
    now = {key: _Update(dict(values), conditions)}
    await conn.run_sync(lambda sync: _send_updates(sync, table, now))


def _tables(statement: Any) -> set[Table] | None:
    """The tables a statement touches, or None when that can't be told."""
    if not isinstance(statement, ClauseElement):
        return None
    found = find_tables(
        statement,
        include_aliases=True,
        include_joins=True,
        include_selects=True,
        include_crud=True,
    )
    tables = {t for t in found if isinstance(t, Table)}
    return tables or None


def install(engine: AsyncEngine) -> None:
    """Send the queued writes a statement depends on before SQLAlchemy runs it."""

    @event.listens_for(engine.sync_engine, "before_execute")
    def _barrier(
        conn: Connection,
        statement: Any,
        _multiparams: Any,
        _params: Any,
        _options: Any,
    ) -> None:
        queue = _queue(conn)
        if not queue or queue.sending:
            return
        tables = _tables(statement)
        if tables is None:
            queue.send(conn, None, inserts_only=False)
            return
        touched = [t for t in queue.queued() if t in tables]
        if touched:
            only_ids = isinstance(statement, Insert) and touched == [statement.table]
            queue.send(conn, touched, inserts_only=only_ids)
