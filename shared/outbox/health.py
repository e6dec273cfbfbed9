"""How delivery stands, for the staff desk: counts by platform and state, the oldest
waiting send, the latest errors. Read-only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.domain import OutboxState
from shared.outbox import store
from shared.storage.schema import outbox

# Rows that still wait to go out (a send in flight counts: it is not confirmed yet).
WAITING = (OutboxState.PENDING, OutboxState.SENDING)


@dataclass(frozen=True)
class Problem:
    id: int
    platform: str
    action: str
    state: OutboxState
    attempts: int
    error: str
    at: datetime


async def counts(conn: AsyncConnection) -> dict[tuple[str, OutboxState], int]:
    """Rows per (platform, state)."""
    rows = await conn.execute(
        select(outbox.c.platform, outbox.c.state, func.count()).group_by(
            outbox.c.platform, outbox.c.state
        )
    )
    return {(platform, OutboxState(state)): int(n) for platform, state, n in rows}


async def oldest_waiting(conn: AsyncConnection) -> datetime | None:
    """When the oldest row that still waits to go out was queued.

    One query per waiting state, each through that state's partial index: the table
    also holds every row ever sent."""
    found = []
    for state in WAITING:
        query = select(func.min(outbox.c.created_at)).where(store.state_is(state))
        first: datetime | None = (await conn.execute(query)).scalar_one_or_none()
        if first is not None:
            found.append(first)
    return min(found, default=None)


async def last_errors(conn: AsyncConnection, limit: int = 20) -> list[Problem]:
    """The latest rows that carry an error, newest first (raw: the caller redacts)."""
    rows = await conn.execute(
        select(outbox)
        .where(outbox.c.error.is_not(None))
        .order_by(outbox.c.updated_at.desc(), outbox.c.id.desc())
        .limit(limit)
    )
    return [
        Problem(
            id=r.id,
            platform=r.platform,
            action=r.action,
            state=OutboxState(r.state),
            attempts=r.attempts,
            error=r.error,
            at=r.updated_at,
        )
        for r in rows
    ]
