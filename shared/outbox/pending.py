"""What features may do with rows still waiting in the outbox: count, read, rewrite.

Only ``shared/outbox`` touches the outbox table. A feature names its rows by what they are
for (``ref_type``, ``ref_id``) and, for the admin chat's backlog, by destination; only
``pending`` rows are ever changed here, so a send already under way is never altered.
Calling a record's sends off is :func:`shared.outbox.refs.cancel_by_ref`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.domain import OutboxState
from shared.storage import writebehind
from shared.storage.schema import outbox


def _waiting(
    ref_type: str, ref_id: int | None = None, destination: str | None = None
) -> list[ColumnElement[bool]]:
    where = [outbox.c.state == OutboxState.PENDING.value, outbox.c.ref_type == ref_type]
    if ref_id is not None:
        where.append(outbox.c.ref_id == ref_id)
    if destination is not None:
        where.append(outbox.c.destination == destination)
    return where


async def count(
    conn: AsyncConnection,
    ref_type: str,
    *,
    destination: str | None = None,
    limit: int | None = None,
) -> int:
    """Rows of ``ref_type`` not yet sent (counted up to ``limit`` when that is all one needs)."""
    rows = select(outbox.c.id).where(*_waiting(ref_type, destination=destination))
    if limit is not None:
        rows = rows.limit(limit)
    result = await conn.execute(select(func.count()).select_from(rows.subquery()))
    return int(result.scalar_one())


async def payloads(
    conn: AsyncConnection,
    ref_type: str,
    *,
    ref_id: int | None = None,
    destination: str | None = None,
) -> list[tuple[int, dict[str, Any]]]:
    """Waiting rows' ids and payloads, oldest first: what a feature may rewrite."""
    rows = await conn.execute(
        select(outbox.c.id, outbox.c.payload)
        .where(*_waiting(ref_type, ref_id, destination))
        .order_by(outbox.c.id)
    )
    return [(int(row.id), dict(row.payload)) for row in rows]


async def rewrite(
    conn: AsyncConnection, item_id: int, payload: dict[str, Any], *, later: bool = False
) -> None:
    """Give a waiting row a new payload (nothing if it left ``pending`` meanwhile).

    ``later``: with the transaction's other small writes (``shared.storage.writebehind``).
    """
    if later:
        await writebehind.update(
            conn, outbox, item_id, {"payload": payload}, where={"state": OutboxState.PENDING.value}
        )
        return
    await conn.execute(
        update(outbox)
        .where(outbox.c.id == item_id, outbox.c.state == OutboxState.PENDING.value)
        .values(payload=payload)
    )
