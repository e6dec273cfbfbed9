"""One-time login links for the staff desk, sent to a moderator in a private message.

Only a SHA-256 of the token is stored, so a copy of the database opens nothing; a link
works once and for ``LINK_TTL``. The bot asks for a link, the desk consumes it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.clock import utcnow
from shared.services import Services
from shared.storage import audit
from shared.storage.schema import desk_login_links

LINK_TTL = timedelta(minutes=10)
# At most this many links per moderator within LINK_TTL: a leaked chat can't mint a flood.
LINKS_PER_TTL = 3
LOGIN_PATH = "/desk/login/"
# Spent and expired links are kept this long (the audit log keeps the history for good).
KEEP = timedelta(days=1)


@dataclass(frozen=True)
class Owner:
    """Who a link or a session belongs to: the moderator's user id, audit name and name."""

    user_id: int
    actor: str
    name: str


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def url(public_url: str, token: str) -> str:
    return f"{public_url}{LOGIN_PATH}{token}"


async def recent_count(conn: AsyncConnection, user_id: int) -> int:
    since = utcnow() - LINK_TTL
    query = select(func.count()).where(
        desk_login_links.c.user_id == user_id, desk_login_links.c.created_at > since
    )
    return int((await conn.execute(query)).scalar_one())


async def issue(conn: AsyncConnection, owner: Owner) -> str | None:
    """A new link's token, or None when the moderator asked for too many lately."""
    if await recent_count(conn, owner.user_id) >= LINKS_PER_TTL:
        await audit.record(conn, owner.actor, "desk.link_refused", "desk_user", owner.user_id)
        return None
    token = secrets.token_urlsafe(32)
    now = utcnow()
    await conn.execute(delete(desk_login_links).where(desk_login_links.c.expires_at < now - KEEP))
    await conn.execute(
        desk_login_links.insert().values(
            token_hash=digest(token),
            user_id=owner.user_id,
            actor=owner.actor,
            name=owner.name,
            created_at=now,
            expires_at=now + LINK_TTL,
            used_at=None,
        )
    )
    await audit.record(conn, owner.actor, "desk.link_issued", "desk_user", owner.user_id)
    return token


def _usable(token: str) -> ColumnElement[bool]:
    return (
        (desk_login_links.c.token_hash == digest(token))
        & desk_login_links.c.used_at.is_(None)
        & (desk_login_links.c.expires_at > utcnow())
    )


async def valid(services: Services, token: str) -> bool:
    """The link can still be used (the page that asks to confirm the login)."""
    async with services.db.read() as conn:
        row = (await conn.execute(select(desk_login_links.c.user_id).where(_usable(token)))).first()
    return row is not None


async def consume(conn: AsyncConnection, token: str) -> Owner | None:
    """Use the link up (a conditional update: of two clicks at once, one wins)."""
    row = (await conn.execute(select(desk_login_links).where(_usable(token)))).first()
    if row is None:
        return None
    done = await conn.execute(
        update(desk_login_links).where(_usable(token)).values(used_at=utcnow())
    )
    if done.rowcount != 1:
        return None
    m = row._mapping
    return Owner(user_id=int(m["user_id"]), actor=m["actor"], name=m["name"])
