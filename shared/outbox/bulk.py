"""Enqueueing a broadcast: many rows, in short transactions, without stalling the app.

One transaction of 100,000 inserts would hold the single writer for seconds: intake, the
dispatcher's journal and every other write would queue behind it. Rows go in batches
instead, each its own transaction with one multi-row INSERT, and the event loop runs
between batches, so other writers take their turn in between.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Sequence
from itertools import islice
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.outbox.model import OutboxMessage
from shared.outbox.store import row_values
from shared.storage.engine import Database
from shared.storage.schema import outbox

BATCH = 200  # rows per transaction: a few ms of SQLite's time, short enough to interleave
MAX_BATCH = 5000

# Runs in a batch's transaction after its rows are in: record how far the enqueue got
# (a cursor), so an enqueue interrupted by a restart resumes after the last batch.
Each = Callable[[AsyncConnection, Sequence[OutboxMessage]], Awaitable[None]]
Messages = Iterable[OutboxMessage] | AsyncIterable[OutboxMessage]


async def enqueue_many(
    db: Database, messages: Messages, *, batch: int = BATCH, each: Each | None = None
) -> int:
    """Add ``messages`` in transactions of ``batch`` rows; return how many rows were added.

    A message whose ``dedupe_key`` is already in the outbox is skipped (give each row of a
    broadcast a key, e.g. ``alert:7:vk:123``, and enqueueing it again adds nothing twice).
    ``messages`` may be a lazy (async) iterable: only one batch is held in memory.
    """
    if not 1 <= batch <= MAX_BATCH:
        raise ValueError(f"a batch holds 1 to {MAX_BATCH} rows: {batch}")
    added = 0
    async for chunk in _chunks(messages, batch):
        rows = [row_values(m) for m in chunk]  # before the lock: the writer's time is short
        async with db.write() as conn:
            added += await _insert(conn, rows)
            if each is not None:
                await each(conn, chunk)
        await asyncio.sleep(0)  # other writers waiting on the lock go before the next batch
    return added


async def insert_batch(conn: AsyncConnection, messages: Sequence[OutboxMessage]) -> int:
    """Insert ``messages`` in the caller's transaction, skipping dedupe keys already present."""
    return await _insert(conn, [row_values(m) for m in messages])


async def _insert(conn: AsyncConnection, rows: list[dict[str, Any]]) -> int:
    plain = [row for row in rows if row["dedupe_key"] is None]
    keyed = [row for row in rows if row["dedupe_key"] is not None]
    added = 0
    if plain:
        await conn.execute(outbox.insert(), plain)
        added += len(plain)
    if keyed:
        insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        stmt = insert(outbox).on_conflict_do_nothing(index_elements=["dedupe_key"])
        result = await conn.execute(stmt.returning(outbox.c.id), keyed)
        added += len(result.all())
    return added


async def _chunks(messages: Messages, size: int) -> AsyncIterable[list[OutboxMessage]]:
    if isinstance(messages, AsyncIterable):
        chunk: list[OutboxMessage] = []
        async for message in messages:
            chunk.append(message)
            if len(chunk) >= size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk
        return
    iterator = iter(messages)
    while chunk := list(islice(iterator, size)):
        yield chunk


__all__ = ["BATCH", "Each", "enqueue_many", "insert_batch"]
