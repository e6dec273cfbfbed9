"""Repository functions for the outbox table. Each takes the caller's connection, so a
send is enqueued in the same transaction as the record it belongs to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Text, bindparam, cast, func, literal_column, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.clock import utcnow
from shared.delivered import Delivered
from shared.domain import OutboxAction, OutboxState
from shared.outbox.lanes import Lane
from shared.outbox.model import OutboxItem, OutboxMessage
from shared.storage import writebehind
from shared.storage.schema import outbox

_ENQUEUE = outbox.insert().returning(outbox.c.id)
INFLIGHT = "_inflight"  # progress key: the step whose call is out
INFLIGHT_AT = "_inflight_at"  # progress key: when that call went out (seconds since the epoch)
# progress key: the step out is one nobody sees and that may be made again (an upload)
INFLIGHT_REPEATABLE = "_inflight_repeatable"
HOOKS_PENDING = "_hooks_pending"  # progress key: the features' hooks of the outcome failed
# Progress keys that are the outbox's own notes on a row, not steps a sender finished.
OWN_KEYS = frozenset(
    {INFLIGHT, INFLIGHT_AT, INFLIGHT_REPEATABLE, HOOKS_PENDING, "hold", "unreachable"}
)


def clear_inflight(progress: dict[str, Any]) -> None:
    """The call out has landed (or was never made): no step is in flight."""
    progress.pop(INFLIGHT, None)
    progress.pop(INFLIGHT_AT, None)
    progress.pop(INFLIGHT_REPEATABLE, None)


def inflight_for(progress: dict[str, Any], now: float) -> float | None:
    """How many seconds the call in flight has been out (None: none is, or a mark written
    before the time was kept): a platform that drops repeats only for a while (VK's
    ``random_id``, an hour) may take a resumed call as a new one once that has passed."""
    at = progress.get(INFLIGHT_AT)
    if progress.get(INFLIGHT) is None or not isinstance(at, int | float):
        return None
    return now - float(at)


def steps_done(item: OutboxItem) -> dict[str, Any]:
    """The steps a row finished, with their results: what a new row of the same send
    (``OutboxMessage.resumes``) skips, so nothing the platform shows is made twice."""
    return {k: v for k, v in item.progress.items() if k not in OWN_KEYS}


def state_is(state: OutboxState) -> ColumnElement[bool]:
    """``state = '<state>'`` with the state written out: the planner then sees that the
    partial index of pending (or sending) rows holds every row the query wants, which it
    can't prove of a bound parameter."""
    return outbox.c.state == literal_column(f"'{state.value}'")


def row_values(message: OutboxMessage) -> dict[str, Any]:
    now = utcnow()
    return {
        "platform": message.platform,
        "action": message.action.value,
        "destination": message.destination,
        "payload": message.payload,
        "state": OutboxState.PENDING.value,
        "priority": message.lane.stored(message.priority),
        "attempts": 0,
        "next_attempt_at": message.not_before or now,
        "progress": dict(message.resumes),
        "dedupe_key": message.dedupe_key,
        "ref_type": None if message.ref_type is None else str(message.ref_type),
        "ref_id": message.ref_id,
        "citizen_id": message.citizen_id,
        "created_at": now,
        "updated_at": now,
    }


async def enqueue(conn: AsyncConnection, message: OutboxMessage) -> int:
    """Add a send; with a ``dedupe_key`` already present, return the existing row's id."""
    values = row_values(message)
    if message.dedupe_key is None:
        result = await conn.execute(_ENQUEUE, values)
        return int(result.scalar_one())
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(outbox).values(**values).on_conflict_do_nothing(index_elements=["dedupe_key"])
    inserted = await conn.execute(stmt.returning(outbox.c.id))
    new_id = inserted.scalar_one_or_none()
    if new_id is not None:
        return int(new_id)
    existing = await conn.execute(
        select(outbox.c.id).where(outbox.c.dedupe_key == message.dedupe_key)
    )
    return int(existing.scalar_one())


async def enqueue_later(conn: AsyncConnection, message: OutboxMessage) -> None:
    """Add a send whose id nobody needs, with the transaction's other queued writes."""
    if message.dedupe_key is not None:
        raise ValueError("a deduplicated send needs enqueue(): it must learn the existing id")
    await writebehind.insert(conn, outbox, row_values(message))


async def get(conn: AsyncConnection, item_id: int) -> OutboxItem | None:
    row = (await conn.execute(select(outbox).where(outbox.c.id == item_id))).first()
    return OutboxItem.from_row(row) if row else None


async def get_many(conn: AsyncConnection, item_ids: Sequence[int]) -> list[OutboxItem]:
    rows = await conn.execute(select(outbox).where(outbox.c.id.in_(list(item_ids))))
    return [OutboxItem.from_row(r) for r in rows]


async def by_ref(conn: AsyncConnection, ref_type: str, ref_id: int) -> list[OutboxItem]:
    rows = await conn.execute(
        select(outbox)
        .where(outbox.c.ref_type == ref_type, outbox.c.ref_id == ref_id)
        .order_by(outbox.c.id)
    )
    return [OutboxItem.from_row(r) for r in rows]


async def counts(conn: AsyncConnection) -> dict[str, int]:
    rows = await conn.execute(select(outbox.c.state, func.count()).group_by(outbox.c.state))
    return {state: int(n) for state, n in rows}


async def due_destinations(
    conn: AsyncConnection,
    platforms: Sequence[str],
    busy: set[tuple[str, str]],
    now: datetime,
    limit: int,
    broadcasts: int | None = None,
) -> list[int]:
    """The next due row of up to ``limit`` destinations not busy now, best priority first.

    One row per destination: a chat gets its messages in order, and one slow chat (a
    group paced at 20 a minute) never holds up the others. At most ``broadcasts`` rows
    of the broadcast lanes (no limit when None): they may not take every worker.

    Read one priority at a time, each in id order: every query walks the
    ``(state, priority, id)`` index and stops at its LIMIT, however many rows wait (an
    ORDER BY priority DESC, id would sort all the rows of a 100,000-row broadcast).
    """
    picking = _Picking(limit, [], set(busy), len(busy))
    level: int | None = None
    while len(picking.ids) < limit:
        level = await _next_level(conn, platforms, now, level)
        if level is None:
            break
        if level <= Lane.INTERACTIVE.floor() and broadcasts is not None and broadcasts <= 0:
            break  # lower levels are broadcasts too
        broadcasts = await _from_level(conn, platforms, now, level, picking, broadcasts)
    return picking.ids


@dataclass
class _Picking:
    """What a claim is picking: up to ``limit`` ids, one per destination not ``taken``."""

    limit: int
    ids: list[int]
    taken: set[tuple[str, str]]
    busy: int  # destinations busy when the claim began


async def _from_level(
    conn: AsyncConnection,
    platforms: Sequence[str],
    now: datetime,
    level: int,
    picking: _Picking,
    broadcasts: int | None,
) -> int | None:
    """Add to the picked ids the next due row of free destinations at ``level``; return
    the broadcasts still allowed.

    Read in pages just over what is missing (a row of a busy or already taken destination
    is skipped, so a page may come short of it), and no more rows in all than
    ``READ_PER_ROW`` per row missing and the busy destinations: a level that deep in one
    busy chat's backlog waits for the next claim. Every row read is a step of SQLite's
    and a row for SQLAlchemy to build, so reading only what is needed is most of a
    claim's saving when every destination is free.
    """
    limit, ids, taken, busy = picking.limit, picking.ids, picking.taken, picking.busy
    budget = (limit - len(ids)) * READ_PER_ROW + 16 + busy
    after = 0
    while len(ids) < limit and budget > 0:
        page = min(budget, limit - len(ids) + min(busy, PAGE_SLACK) + 4)
        params = {"level": level, "platforms": list(platforms), "now": now}
        rows = (await conn.execute(_LEVEL_ROWS, {**params, "after": after, "limit": page})).all()
        budget -= len(rows)
        for item_id, platform, destination in rows:
            after = int(item_id)
            if (platform, destination) in taken:
                continue
            if broadcasts is not None and level <= Lane.INTERACTIVE.floor():
                if broadcasts <= 0:
                    return broadcasts
                broadcasts -= 1
            taken.add((platform, destination))
            ids.append(int(item_id))
            if len(ids) >= limit:
                return broadcasts
        if len(rows) < page:
            break  # the level has no more due rows
    return broadcasts


READ_PER_ROW = 4  # rows of a level read at most per row missing (plus the busy ones)
PAGE_SLACK = 16  # a page's room for rows of busy destinations, at most


# A row is due when next_attempt_at has passed; written as COALESCE so that the planner
# walks (state, priority, id) rather than (state, next_attempt_at) and a sort.
_DUE = func.coalesce(outbox.c.next_attempt_at, outbox.c.next_attempt_at) <= bindparam("now")
_PENDING = state_is(OutboxState.PENDING)
_ON = outbox.c.platform.in_(bindparam("platforms", expanding=True))
_LEVEL_ROWS = (
    select(outbox.c.id, outbox.c.platform, outbox.c.destination)
    .where(
        _PENDING,
        outbox.c.priority == bindparam("level"),
        outbox.c.id > bindparam("after"),
        _DUE,
        _ON,
    )
    .order_by(outbox.c.id)
    .limit(bindparam("limit"))
)


# Built once: building a statement costs more than running it (the claim runs often).
_LEVEL_QUERY = select(outbox.c.priority).where(_PENDING, _DUE, _ON)
_TOP_LEVEL = _LEVEL_QUERY.order_by(outbox.c.priority.desc()).limit(1)
_LEVEL_BELOW = (
    _LEVEL_QUERY.where(outbox.c.priority < bindparam("below"))
    .order_by(outbox.c.priority.desc())
    .limit(1)
)


async def _next_level(
    conn: AsyncConnection, platforms: Sequence[str], now: datetime, below: int | None
) -> int | None:
    """The best priority of a due row, below ``below`` if given."""
    params: dict[str, Any] = {"platforms": list(platforms), "now": now}
    if below is not None:
        params["below"] = below
    row = await conn.execute(_TOP_LEVEL if below is None else _LEVEL_BELOW, params)
    level = row.scalar_one_or_none()
    return None if level is None else int(level)


async def claim(conn: AsyncConnection, item_id: int) -> OutboxItem | None:
    """Move a pending row to ``sending``; None if somebody else took it."""
    claimed = await claim_many(conn, [item_id])
    return claimed[0] if claimed else None


# What an item is made of: every column but ``updated_at``.
ITEM_COLUMNS = tuple(c for c in outbox.c if c.name != "updated_at")
_CLAIM = (
    update(outbox)
    .where(
        outbox.c.id.in_(bindparam("ids", expanding=True)),
        outbox.c.state == OutboxState.PENDING.value,
    )
    .values(state=OutboxState.SENDING.value, updated_at=bindparam("now"))
    .returning(*ITEM_COLUMNS)
)


async def claim_many(conn: AsyncConnection, item_ids: Sequence[int]) -> list[OutboxItem]:
    """Move these rows to ``sending`` in one statement; those still pending, in id order."""
    if not item_ids:
        return []
    rows = await conn.execute(_CLAIM, {"ids": list(item_ids), "now": utcnow()})
    return sorted((OutboxItem.from_row(r) for r in rows), key=lambda item: item.id)


async def claim_group(
    conn: AsyncConnection,
    first: OutboxItem,
    size: int,
    busy: set[tuple[str, str]],
    now: datetime,
) -> list[OutboxItem]:
    """Claim up to ``size - 1`` more rows that one call can carry with ``first``.

    Rows go together when they are the same send to other people: due, same platform,
    action, lane and priority, same record (``ref_type``/``ref_id``) and same payload;
    one row per destination, none busy.
    """
    if size <= 1 or first.ref_type is None or first.ref_id is None:
        return []
    query = (
        select(outbox.c.id, outbox.c.destination, outbox.c.payload)
        .where(
            _PENDING,
            outbox.c.priority == first.lane.stored(first.priority),
            outbox.c.ref_type == first.ref_type,
            outbox.c.ref_id == first.ref_id,
            outbox.c.platform == first.platform,
            outbox.c.action == first.action.value,
            _DUE,
            outbox.c.id != first.id,
        )
        .order_by(outbox.c.id)
        .limit(size * 2)
    )
    ids: list[int] = []
    taken = {*busy, (first.platform, first.destination)}
    for item_id, destination, payload in await conn.execute(query, {"now": now}):
        if (first.platform, destination) in taken or payload != first.payload:
            continue
        taken.add((first.platform, destination))
        ids.append(int(item_id))
        if len(ids) >= size - 1:
            break
    return await claim_many(conn, ids)


async def save_progress(conn: AsyncConnection, item_id: int, progress: dict[str, Any]) -> None:
    """Journal a row's steps; queued with the transaction's other writes (one statement
    for the journal of many concurrent sends)."""
    values = {"progress": dict(progress), "updated_at": utcnow()}
    await writebehind.update(conn, outbox, item_id, values)


async def finish(
    conn: AsyncConnection,
    item_id: int,
    state: OutboxState,
    *,
    result: dict[str, Any] | None = None,
    error: str | None = None,
    attempts: int | None = None,
    next_attempt_at: datetime | None = None,
    progress: dict[str, Any] | None = None,
) -> None:
    now = utcnow()
    values: dict[str, Any] = {"state": state.value, "updated_at": now, "error": error}
    if result is not None:
        values["result"] = result
    if attempts is not None:
        values["attempts"] = attempts
    if next_attempt_at is not None:
        values["next_attempt_at"] = next_attempt_at
    if progress is not None:
        values["progress"] = dict(progress)
    if state is OutboxState.SENT:
        values["sent_at"] = now
    await writebehind.update(conn, outbox, item_id, values)


async def stranded(conn: AsyncConnection) -> list[OutboxItem]:
    """Rows left in ``sending`` by a process that stopped mid-send."""
    rows = await conn.execute(
        select(outbox).where(state_is(OutboxState.SENDING)).order_by(outbox.c.id)
    )
    return [OutboxItem.from_row(r) for r in rows]


async def owing_hooks(conn: AsyncConnection) -> list[OutboxItem]:
    """Finished rows whose features' hooks failed when the outcome was recorded."""
    rows = await conn.execute(
        select(outbox)
        .where(
            outbox.c.state.not_in([OutboxState.PENDING.value, OutboxState.SENDING.value]),
            cast(outbox.c.progress, Text).like(f"%{HOOKS_PENDING}%"),
        )
        .order_by(outbox.c.id)
    )
    items = [OutboxItem.from_row(r) for r in rows]
    return [item for item in items if item.progress.get(HOOKS_PENDING)]


async def aim_edit(conn: AsyncConnection, item: OutboxItem) -> None:
    """Point an edit with a ``target`` at the messages the target shows now.

    Earlier edits of the same target (same ref, lower id) have run by now: one destination
    sends one row at a time, in order. The latest that was sent says which messages the
    target is made of and, with the send itself, what each shows (as does one that failed
    part-way: its result names what it left); an edit whose outcome is unknown leaves its
    messages' content unknown.
    """
    target = item.payload.get("target")
    if target is None or item.ref_type is None or item.ref_id is None:
        return
    sent = await get(conn, int(target))
    made = Delivered.from_dict(sent.result) if sent else None
    shown = made.shown() if made is not None else {}
    current: list[int] | None = None
    for earlier in await by_ref(conn, item.ref_type, item.ref_id):
        if (
            earlier.id >= item.id
            or earlier.action is not OutboxAction.EDIT
            or earlier.payload.get("target") != target
        ):
            continue
        edited = Delivered.from_dict(earlier.result)
        # A failed edit's result, when it has one, is what it left (made part-way).
        if earlier.state in (OutboxState.SENT, OutboxState.FAILED) and edited is not None:
            current = [int(i) for i in edited.ids()]
            shown = {k: v for k, v in shown.items() if int(k) in current}
            shown.update(edited.shown())
        elif earlier.state is OutboxState.UNKNOWN:
            for message_id in earlier.payload.get("message_ids", []):
                shown.pop(str(message_id), None)
    if current is not None:
        item.payload["message_ids"] = current
    item.payload["shown"] = shown


async def next_due_in(conn: AsyncConnection, platforms: Sequence[str]) -> timedelta | None:
    row = await conn.execute(
        select(func.min(outbox.c.next_attempt_at)).where(
            _PENDING,
            outbox.c.platform.in_(list(platforms)),
        )
    )
    first: datetime | None = row.scalar_one_or_none()
    if first is None:
        return None
    return first - utcnow()


async def resume_held(conn: AsyncConnection, item_id: int, answer: dict[str, Any]) -> bool:
    """A person answered what a held row waited for (a captcha code): send it again."""
    item = await get(conn, item_id)
    if item is None or item.state is not OutboxState.HELD:
        return False
    hold = dict(item.progress.pop("hold", {}))
    item.progress[hold.get("kind", "answer")] = {**hold, **answer}
    await finish(
        conn, item_id, OutboxState.PENDING, progress=item.progress, next_attempt_at=utcnow()
    )
    return True


async def resolve_unknown(conn: AsyncConnection, item_id: int, *, delivered: bool) -> bool:
    """A moderator looked: the send is there (mark it sent) or it is not (send it again)."""
    item = await get(conn, item_id)
    if item is None or item.state is not OutboxState.UNKNOWN:
        return False
    clear_inflight(item.progress)
    if delivered:
        await finish(
            conn,
            item_id,
            OutboxState.SENT,
            result={"confirmed_by_moderator": True},
            progress=item.progress,
        )
    else:
        await finish(
            conn, item_id, OutboxState.PENDING, progress=item.progress, next_attempt_at=utcnow()
        )
    return True
