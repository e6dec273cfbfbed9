"""Citizens' messages already taken: the ``incoming_seen`` table.

A platform may deliver one message twice; the message's own id (the platform's, unique per
peer) recorded with what it made lets the second delivery be recognised. The rows name a
peer, which is personal: they go with the citizen's data and are purged after a while.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import ColumnElement, and_, delete, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.clock import utcnow
from shared.storage.schema import incoming_seen


class MessageKey(NamedTuple):
    """One message: the platform, the peer it came from, and the platform's id for it."""

    platform: str
    peer: str
    message_id: str


async def which(conn: AsyncConnection, keys: Collection[MessageKey]) -> set[MessageKey]:
    """Those of ``keys`` already recorded, in one query (a batch's messages at once)."""
    wanted = set(keys)
    t = incoming_seen.c
    found: set[MessageKey] = set()
    for platform in {k.platform for k in wanted}:
        # Peers and ids as two IN lists (the primary key's order), the pairs sorted out
        # here: one OR term per message kept SQLite from the index, a scan per batch.
        mine = [k for k in wanted if k.platform == platform]
        rows = await conn.execute(
            select(t.platform, t.peer, t.message_id).where(
                t.platform == platform,
                t.peer.in_(sorted({k.peer for k in mine})),
                t.message_id.in_(sorted({k.message_id for k in mine})),
            )
        )
        found |= {MessageKey(*row) for row in rows} & wanted
    return found


async def record(conn: AsyncConnection, key: MessageKey, at: datetime | None = None) -> bool:
    """Record ``key`` unless it is there already; True when this call recorded it.

    Insert-if-absent (``ON CONFLICT DO NOTHING``, which SQLite and PostgreSQL both speak),
    so a second delivery racing the first can never fail the transaction it rides in.
    """
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(incoming_seen).values(
        platform=key.platform,
        peer=key.peer,
        message_id=key.message_id,
        seen_at=at or utcnow(),
    )
    done = await conn.execute(stmt.on_conflict_do_nothing())
    return bool(done.rowcount)


async def record_all(conn: AsyncConnection, keys: Collection[MessageKey]) -> None:
    """Record each of ``keys`` not there already, in one statement (a batch's messages)."""
    if not keys:
        return
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    at = utcnow()
    rows = [
        {"platform": k.platform, "peer": k.peer, "message_id": k.message_id, "seen_at": at}
        for k in keys
    ]
    await conn.execute(insert(incoming_seen).on_conflict_do_nothing(), rows)


async def purge(conn: AsyncConnection, before: datetime) -> int:
    """Forget the messages seen before ``before``: no platform delivers one again that late."""
    done = await conn.execute(delete(incoming_seen).where(incoming_seen.c.seen_at < before))
    return int(done.rowcount or 0)


async def erase(conn: AsyncConnection, chats: Iterable[tuple[str, str]]) -> int:
    """Forget every message from these ``(platform, peer)`` chats (a citizen's withdrawal)."""
    pairs = list(dict.fromkeys(chats))
    if not pairs:
        return 0
    done = await conn.execute(
        delete(incoming_seen).where(or_(*(_chat(platform, peer) for platform, peer in pairs)))
    )
    return int(done.rowcount or 0)


def _chat(platform: str, peer: str) -> ColumnElement[bool]:
    """One plain condition per chat, which both engines read by the primary key."""
    return and_(incoming_seen.c.platform == platform, incoming_seen.c.peer == peer)
