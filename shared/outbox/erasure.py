"""Forgetting a person in the outbox (152-ФЗ): the only place that erases outbox rows' content.

A send that has not started is cancelled; a finished row keeps its state (a card still
shows whether an answer was delivered) but loses where it went and what it said. A row
whose call is out (``sending``) is left to finish, and counted: once it has, the next
``forget_leftovers`` (the retention job's) empties it as the erasure would have.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any, NamedTuple

from sqlalchemy import Select, and_, false, func, or_, select, update
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
OUT = OutboxState.SENDING.value
EMPTY: dict[str, Any] = {
    "destination": "",
    "payload": {},
    "progress": {},
    "result": None,
    "error": None,
}


Ids = Collection[int] | Select[tuple[int]]


class Erased(NamedTuple):
    """What an erasure did in the outbox."""

    cancelled: int  # sends not started, called off
    out: int  # sends whose call was out: left to finish, for ``forget_leftovers``


def _in(column: ColumnElement[Any], ids: Ids) -> ColumnElement[bool]:
    if isinstance(ids, Select):
        return column.in_(ids)
    return column.in_(list(ids)) if ids else false()


def _to_person(citizen_ids: Ids, chats: Sequence[tuple[str, str]]) -> ColumnElement[bool]:
    """Rows addressed to these citizens, by their id or by their chat on a platform."""
    where: list[ColumnElement[bool]] = [_in(outbox.c.citizen_id, citizen_ids)]
    for platform, chat in chats:
        where.append(and_(outbox.c.platform == platform, outbox.c.destination == chat))
    return or_(*where)


def _about(ref_types: Collection[str], ref_ids: Ids) -> ColumnElement[bool]:
    """Rows about these records (a question's cards)."""
    return and_(outbox.c.ref_type.in_(list(ref_types)), _in(outbox.c.ref_id, ref_ids))


async def _count_out(conn: AsyncConnection, where: ColumnElement[bool]) -> int:
    found = await conn.execute(
        select(func.count()).select_from(outbox).where(where, outbox.c.state == OUT)
    )
    return int(found.scalar_one())


async def forget_citizens(
    conn: AsyncConnection,
    citizen_ids: Ids,
    chats: Sequence[tuple[str, str]] = (),
    *,
    spare: Collection[str] = (),
) -> Erased:
    """Cancel sends to these people that have not started and empty the finished ones.

    Sends of the ``spare`` ref types are not cancelled (the confirmation that their data
    is gone, emptied by its own hook once sent)."""
    person = _to_person(citizen_ids, chats)
    now = utcnow()
    cancelled = await conn.execute(
        update(outbox)
        .where(
            person,
            outbox.c.state.in_(NOT_STARTED),
            or_(outbox.c.ref_type.is_(None), outbox.c.ref_type.not_in(list(spare))),
        )
        .values(state=OutboxState.CANCELLED.value, updated_at=now, **EMPTY)
    )
    await conn.execute(
        update(outbox)
        .where(person, outbox.c.state.in_(FINISHED), outbox.c.destination != "")
        .values(updated_at=now, **EMPTY)
    )
    return Erased(int(cancelled.rowcount or 0), await _count_out(conn, person))


async def forget_sent(conn: AsyncConnection, item_id: int) -> None:
    """Empty one finished row (a confirmation sent to somebody already forgotten)."""
    await conn.execute(
        update(outbox)
        .where(outbox.c.id == item_id, outbox.c.state.in_(FINISHED))
        .values(updated_at=utcnow(), **EMPTY)
    )


async def forget_content(
    conn: AsyncConnection, ref_types: Collection[str], ref_ids: Collection[int]
) -> Erased:
    """Empty what rows about these records said (a card naming its citizen): finished rows
    lose their payload, rows not started are cancelled. Their destination (the admin chat)
    and result (its message ids) stay."""
    if not ref_ids:
        return Erased(0, 0)
    about = _about(ref_types, ref_ids)
    now = utcnow()
    cancelled = await conn.execute(
        update(outbox)
        .where(about, outbox.c.state.in_(NOT_STARTED))
        .values(state=OutboxState.CANCELLED.value, payload={}, updated_at=now)
    )
    await conn.execute(
        update(outbox)
        .where(about, outbox.c.state.in_(FINISHED))
        .values(payload={}, progress={}, updated_at=now)
    )
    return Erased(int(cancelled.rowcount or 0), await _count_out(conn, about))


async def forget_leftovers(
    conn: AsyncConnection,
    citizen_ids: Select[tuple[int]],
    ref_types: Collection[str],
    ref_ids: Select[tuple[int]],
    *,
    spare: Collection[str] = (),
) -> int:
    """Finish what erasures had to leave: sends to these (forgotten) people and rows about
    these (forgotten) records whose call was out when they were forgotten.

    Rows to the people are treated as by :func:`forget_citizens` (a send that went back to
    waiting for a retry is cancelled); finished rows about the records lose their payload
    as by :func:`forget_content` — not those waiting, which may be the very edits that
    showed the records without the name. Returns how many of these rows are not finished
    yet (out, or waiting): while any is, the caller looks again."""
    await forget_citizens(conn, citizen_ids, spare=spare)
    about = _about(ref_types, ref_ids)
    rows = await conn.execute(
        select(outbox.c.id, outbox.c.payload).where(about, outbox.c.state.in_(FINISHED))
    )
    said = [int(r.id) for r in rows if r.payload]
    if said:
        await conn.execute(
            update(outbox)
            .where(outbox.c.id.in_(said), outbox.c.state.in_(FINISHED))
            .values(payload={}, progress={}, updated_at=utcnow())
        )
    unfinished = await conn.execute(
        select(func.count())
        .select_from(outbox)
        .where(
            or_(_in(outbox.c.citizen_id, citizen_ids), about),
            outbox.c.state.in_((*NOT_STARTED, OUT)),
        )
    )
    return int(unfinished.scalar_one())


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
