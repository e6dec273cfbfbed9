"""Forgetting a person in the outbox (152-ФЗ): the only place that erases outbox rows' content.

A send that has not started is cancelled; a finished row keeps its state (a card still
shows whether an answer was delivered) but loses where it went and what it said. A row
whose call is out (``sending``) is left to finish: ``forget_sent`` clears it afterwards.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any, NamedTuple

from sqlalchemy import Select, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from shared.clock import utcnow
from shared.domain import OutboxState
from shared.storage.schema import outbox

# Not yet started: cancelled outright, never sent to a person who withdrew.
NOT_STARTED = (OutboxState.PENDING.value, OutboxState.HELD.value)
# Done with: the row stays as a record that something happened, emptied.
FINISHED = (
    OutboxState.SENT.value,
    OutboxState.FAILED.value,
    OutboxState.UNKNOWN.value,
    OutboxState.CANCELLED.value,
)
EMPTY: dict[str, Any] = {
    "destination": "",
    "payload": {},
    "progress": {},
    "result": None,
    "error": None,
}


Citizens = Collection[int] | Select[tuple[int]]


def _to_person(citizen_ids: Citizens, chats: Sequence[tuple[str, str]]) -> ColumnElement[bool]:
    """Rows addressed to these citizens, by their id or by their chat on a platform."""
    where: list[ColumnElement[bool]] = []
    if isinstance(citizen_ids, Select):
        where.append(outbox.c.citizen_id.in_(citizen_ids))
    elif citizen_ids:
        where.append(outbox.c.citizen_id.in_(list(citizen_ids)))
    for platform, chat in chats:
        where.append(and_(outbox.c.platform == platform, outbox.c.destination == chat))
    return or_(*where) if where else outbox.c.id.is_(None)


async def forget_citizens(
    conn: AsyncConnection, citizen_ids: Citizens, chats: Sequence[tuple[str, str]] = ()
) -> int:
    """Cancel sends to these people that have not started and empty the finished ones.

    Returns how many sends were cancelled.
    """
    person = _to_person(citizen_ids, chats)
    now = utcnow()
    cancelled = await conn.execute(
        update(outbox)
        .where(person, outbox.c.state.in_(NOT_STARTED))
        .values(state=OutboxState.CANCELLED.value, updated_at=now, **EMPTY)
    )
    await conn.execute(
        update(outbox)
        .where(person, outbox.c.state.in_(FINISHED), outbox.c.destination != "")
        .values(updated_at=now, **EMPTY)
    )
    return int(cancelled.rowcount or 0)


async def forget_sent(conn: AsyncConnection, item_id: int) -> None:
    """Empty one finished row (a confirmation sent to somebody already forgotten)."""
    await conn.execute(
        update(outbox)
        .where(outbox.c.id == item_id, outbox.c.state.in_(FINISHED))
        .values(updated_at=utcnow(), **EMPTY)
    )


async def forget_content(
    conn: AsyncConnection, ref_types: Collection[str], ref_ids: Collection[int]
) -> None:
    """Empty what rows about these records said (a card naming its citizen): finished rows
    lose their payload, rows not started are cancelled. Their destination (the admin chat)
    and result (its message ids) stay."""
    if not ref_ids:
        return
    about = and_(outbox.c.ref_type.in_(list(ref_types)), outbox.c.ref_id.in_(list(ref_ids)))
    now = utcnow()
    await conn.execute(
        update(outbox)
        .where(about, outbox.c.state.in_(NOT_STARTED))
        .values(state=OutboxState.CANCELLED.value, payload={}, updated_at=now)
    )
    await conn.execute(
        update(outbox)
        .where(about, outbox.c.state.in_(FINISHED))
        .values(payload={}, progress={}, updated_at=now)
    )


class Quoting(NamedTuple):
    """A finished row that quoted what is being forgotten: where it went, what it made."""

    platform: str
    destination: str
    result: dict[str, Any]


async def forget_quoting(
    conn: AsyncConnection, ref_type: str, key: str, ids: Collection[int]
) -> list[Quoting]:
    """Empty the rows of ``ref_type`` whose payload's ``extra[key]`` names any of ``ids`` (a
    page quoting questions, say): not started, cancelled; finished, emptied. The finished
    ones that made messages are returned, for the caller to have them taken back too."""
    wanted = set(ids)
    if not wanted:
        return []
    rows = await conn.execute(
        select(outbox.c.id, outbox.c.state, outbox.c.platform, outbox.c.destination,
               outbox.c.payload, outbox.c.result)
        .where(outbox.c.ref_type == ref_type, outbox.c.state.in_((*NOT_STARTED, *FINISHED)))
    )  # fmt: skip
    hits = [r for r in rows if wanted & set(((r.payload or {}).get("extra") or {}).get(key) or ())]
    if not hits:
        return []
    now = utcnow()
    await conn.execute(
        update(outbox)
        .where(outbox.c.id.in_([r.id for r in hits]), outbox.c.state.in_(NOT_STARTED))
        .values(state=OutboxState.CANCELLED.value, payload={}, updated_at=now)
    )
    await conn.execute(
        update(outbox)
        .where(outbox.c.id.in_([r.id for r in hits]), outbox.c.state.in_(FINISHED))
        .values(payload={}, progress={}, updated_at=now)
    )
    return [
        Quoting(r.platform, r.destination, dict(r.result))
        for r in hits
        if r.state in FINISHED and r.result
    ]
