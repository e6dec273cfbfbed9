"""A citizen's message delivered twice is taken once ("never twice").

Platforms deliver again what they can't be sure was received: VK's long poll replays
events, MAX's batch is read again after a restart, Telegram redelivers an update whose
offset a crash left unconfirmed. Each adapter puts the platform's id of the message in
``Incoming.message_id``; a message that stores or extends a question is recorded as seen
in the very transaction that stores it (so a crash can't leave it seen but lost), and a
message already seen is skipped before anything else happens to it (not even the
throttle counts it).

A batch of the group commit reads what its messages' ids already hold in one query
(:func:`prefetch`) and writes the ids it took in one statement at its end (:func:`flush`,
still in its transaction); a message handled alone asks and writes by its primary key.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from shared.hotlines.batching import tx_cache
from shared.hotlines.model import Incoming
from shared.storage import seen
from shared.storage.seen import MessageKey

# Long enough for any redelivery (Telegram keeps an update 24 hours; VK's and MAX's long
# polls far less), short enough that the table stays small.
KEPT = timedelta(days=7)
_CACHE = "seen"


@dataclass
class _Known:
    """What this transaction knows of its messages: ids read, and ids found or recorded."""

    checked: set[MessageKey] = field(default_factory=set)
    found: set[MessageKey] = field(default_factory=set)
    # A batch's ids taken but not yet written (:func:`flush` writes them); None outside one.
    unwritten: list[MessageKey] | None = None


def key_of(incoming: Incoming) -> MessageKey | None:
    """The message's key, or None when its platform gave it no id (then it can't be told)."""
    if not incoming.message_id:
        return None
    return MessageKey(incoming.platform, incoming.peer, incoming.message_id)


def _known(conn: AsyncConnection) -> _Known:
    cache = tx_cache(conn)
    if _CACHE not in cache:
        cache[_CACHE] = _Known()
    known: _Known = cache[_CACHE]
    return known


async def prefetch(conn: AsyncConnection, keys: Iterable[MessageKey | None]) -> None:
    """Read a batch's message ids in one query; each piece then asks the cache. The ids
    the batch takes are written by :func:`flush`, which must end its transaction."""
    known = _known(conn)
    known.unwritten = []
    wanted = {k for k in keys if k is not None}
    if not wanted:
        return
    known.found |= await seen.which(conn, wanted)
    known.checked |= wanted


async def seen_before(conn: AsyncConnection, incoming: Incoming) -> bool:
    """Has this very message been taken already (in this transaction or an earlier one)?"""
    key = key_of(incoming)
    if key is None:
        return False
    known = _known(conn)
    if key not in known.checked:
        known.found |= await seen.which(conn, [key])
        known.checked.add(key)
    return key in known.found


async def taken(conn: AsyncConnection, incoming: Incoming) -> None:
    """Record the message as seen, in the transaction that stores what it made."""
    key = key_of(incoming)
    if key is None:
        return
    known = _known(conn)
    if known.unwritten is None:
        await seen.record(conn, key)
    elif key not in known.found:
        known.unwritten.append(key)
    known.checked.add(key)
    known.found.add(key)


async def flush(conn: AsyncConnection) -> None:
    """Write the ids a batch took (the last step of its transaction, after :func:`prefetch`)."""
    known = _known(conn)
    if known.unwritten:
        await seen.record_all(conn, known.unwritten)
    known.unwritten = None


async def purge(conn: AsyncConnection, now: datetime) -> int:
    """Forget the ids of messages older than :data:`KEPT`."""
    return await seen.purge(conn, now - KEPT)
