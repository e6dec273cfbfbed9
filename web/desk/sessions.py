"""Staff desk sessions: a random id in a signed cookie, its SHA-256 in the database.

The cookie is signed with ``GLASHATAI_WEB__SECRET_KEY`` (itsdangerous, with a timestamp,
so an old cookie is refused even before the database is asked); the row makes logout
and expiry final on the server side. The CSRF token is an HMAC of the session id: a form
carries it, a cross-site page can't know it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from itsdangerous import BadSignature, TimestampSigner
from sqlalchemy import delete, select, update

from shared.clock import utcnow
from shared.services import Services
from shared.storage import audit
from shared.storage.schema import desk_sessions
from web.desk.links import Owner, consume, digest

SESSION_TTL = timedelta(hours=8)
COOKIE = "glashatai_desk"
SALT = "glashatai.desk.session"
# Ended and expired sessions are kept this long (the audit log keeps the history for good).
KEEP = timedelta(days=30)


@dataclass(frozen=True)
class Session:
    raw_id: str
    owner: Owner


class Keys:
    """The secret key's uses: signing cookies and deriving CSRF tokens."""

    def __init__(self, secret: str) -> None:
        self._secret = secret.encode()
        self._signer = TimestampSigner(secret, salt=SALT)

    def cookie(self, raw_id: str) -> str:
        return self._signer.sign(raw_id).decode()

    def unsign(self, value: str) -> str | None:
        try:
            raw = self._signer.unsign(value, max_age=int(SESSION_TTL.total_seconds()))
        except BadSignature:
            return None
        return raw.decode()

    def csrf(self, raw_id: str) -> str:
        return hmac.new(self._secret, b"csrf:" + raw_id.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, raw_id: str, given: str) -> bool:
        return hmac.compare_digest(self.csrf(raw_id), given)


async def login(services: Services, token: str) -> Session | None:
    """Use a login link up and open a session for its moderator, in one transaction."""
    async with services.db.write() as conn:
        owner = await consume(conn, token)
        if owner is None:
            return None
        raw_id = secrets.token_urlsafe(32)
        now = utcnow()
        await conn.execute(delete(desk_sessions).where(desk_sessions.c.expires_at < now - KEEP))
        await conn.execute(
            desk_sessions.insert().values(
                id_hash=digest(raw_id),
                user_id=owner.user_id,
                actor=owner.actor,
                name=owner.name,
                created_at=now,
                expires_at=now + SESSION_TTL,
                ended_at=None,
            )
        )
        await audit.record(conn, owner.actor, "desk.login", "desk_user", owner.user_id)
    return Session(raw_id, owner)


async def load(services: Services, raw_id: str) -> Session | None:
    """The live session with this id: not ended, not expired."""
    query = select(desk_sessions).where(
        desk_sessions.c.id_hash == digest(raw_id),
        desk_sessions.c.ended_at.is_(None),
        desk_sessions.c.expires_at > utcnow(),
    )
    async with services.db.read() as conn:
        row = (await conn.execute(query)).first()
    if row is None:
        return None
    m = row._mapping
    return Session(raw_id, Owner(user_id=int(m["user_id"]), actor=m["actor"], name=m["name"]))


async def end(services: Services, session: Session, why: str = "desk.logout") -> None:
    async with services.db.write() as conn:
        await conn.execute(
            update(desk_sessions)
            .where(desk_sessions.c.id_hash == digest(session.raw_id))
            .values(ended_at=utcnow())
        )
        await audit.record(conn, session.owner.actor, why, "desk_user", session.owner.user_id)
