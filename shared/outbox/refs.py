"""What became of the sends of one record (an alert, a post): counted, or called off.

Features keep their own records and point rows at them with ``ref_type``/``ref_id``; only
this package reads or changes the outbox table, so they ask here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Text, cast, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.clock import utcnow
from shared.domain import OutboxAction, OutboxState
from shared.storage.schema import outbox

# Not started yet: a cancel stops these (a row in ``sending`` has its call out already).
CANCELLABLE = (OutboxState.PENDING.value, OutboxState.HELD.value)
UNREACHABLE = '"unreachable": true'  # the dispatcher's mark in a failed row's progress


@dataclass(frozen=True)
class RefCounts:
    """Rows of one record by platform and state; ``unreachable`` of the failed ones are
    addressed to somebody the platform says can't be written to (blocked the bot)."""

    states: Counter[tuple[str, OutboxState]] = field(default_factory=Counter)
    unreachable: Counter[str] = field(default_factory=Counter)

    def total(self, state: OutboxState | None = None, platform: str | None = None) -> int:
        """Rows in ``state`` (any when None) on ``platform`` (all when None)."""
        return sum(
            n
            for (p, s), n in self.states.items()
            if (state is None or s is state) and (platform is None or p == platform)
        )

    def platforms(self) -> list[str]:
        return sorted({p for p, _ in self.states})


async def count_by_ref(conn: AsyncConnection, ref_type: str, ref_id: int) -> RefCounts:
    """How the record's sends stand: rows per platform and state, and the unreachable."""
    about = (outbox.c.ref_type == str(ref_type), outbox.c.ref_id == ref_id)
    rows = await conn.execute(
        select(outbox.c.platform, outbox.c.state, func.count())
        .where(*about)
        .group_by(outbox.c.platform, outbox.c.state)
    )
    counts = RefCounts()
    for platform, state, n in rows:
        counts.states[(platform, OutboxState(state))] = int(n)
    unreachable = await conn.execute(
        select(outbox.c.platform, func.count())
        .where(
            *about,
            outbox.c.state == OutboxState.FAILED.value,
            cast(outbox.c.progress, Text).like(f"%{UNREACHABLE}%"),
        )
        .group_by(outbox.c.platform)
    )
    for platform, n in unreachable:
        counts.unreachable[platform] = int(n)
    return counts


async def cancel_by_ref(
    conn: AsyncConnection,
    ref_type: str,
    ref_id: int,
    platform: str | None = None,
    action: OutboxAction | None = None,
) -> int:
    """Cancel the record's sends that have not started; return how many.

    ``action`` narrows it to one kind of row: a withdrawn post calls off its sends but
    keeps the deletions queued beside them. Rows already ``sending`` finish as what they
    are; :func:`count_by_ref` reports them.
    """
    where = [
        outbox.c.ref_type == str(ref_type),
        outbox.c.ref_id == ref_id,
        outbox.c.state.in_(CANCELLABLE),
    ]
    if platform is not None:
        where.append(outbox.c.platform == platform)
    if action is not None:
        where.append(outbox.c.action == action.value)
    result = await conn.execute(
        update(outbox)
        .where(*where)
        .values(state=OutboxState.CANCELLED.value, error="cancelled", updated_at=utcnow())
    )
    return int(result.rowcount or 0)


async def first_sent(
    conn: AsyncConnection, ref_type: str, ref_ids: Sequence[int]
) -> dict[int, datetime]:
    """When each reference's first send went out: the earliest send recorded as sent (a
    send whose outcome was unknown counts from when a person confirmed it)."""
    if not ref_ids:
        return {}
    rows = await conn.execute(
        select(outbox.c.ref_id, func.min(outbox.c.sent_at))
        .where(
            outbox.c.ref_type == ref_type,
            outbox.c.ref_id.in_(list(ref_ids)),
            outbox.c.action == OutboxAction.SEND.value,
            outbox.c.state == OutboxState.SENT.value,
            outbox.c.sent_at.is_not(None),
        )
        .group_by(outbox.c.ref_id)
    )
    return {int(ref_id): at for ref_id, at in rows if at is not None}
