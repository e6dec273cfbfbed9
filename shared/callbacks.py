"""Button presses carry an opaque token; what it means lives here, on the server.

A token is 16 random characters (well under Telegram's 64 bytes and VK's 255). Nothing in
a button is trusted: a forged or stale token resolves to nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.clock import utcnow
from shared.outbox.payload import Button
from shared.storage import writebehind
from shared.storage.schema import callback_tokens


@dataclass(frozen=True)
class CallbackToken:
    token: str
    action: str
    target_id: int | None
    data: dict[str, Any]


async def issue(
    conn: AsyncConnection, action: str, target_id: int | None = None, **data: Any
) -> str:
    token = secrets.token_urlsafe(12)
    row = {
        "token": token,
        "action": action,
        "target_id": target_id,
        "data": data,
        "created_at": utcnow(),
    }
    await writebehind.insert(conn, callback_tokens, row)
    return token


async def button(
    conn: AsyncConnection, label: str, action: str, target_id: int | None = None, **data: Any
) -> Button:
    return Button(label=label, token=await issue(conn, action, target_id, **data))


async def resolve(conn: AsyncConnection, token: str) -> CallbackToken | None:
    if not token or len(token) > 64:
        return None
    row = (
        await conn.execute(select(callback_tokens).where(callback_tokens.c.token == token))
    ).first()
    if row is None:
        return None
    m = row._mapping
    return CallbackToken(m["token"], m["action"], m["target_id"], dict(m["data"] or {}))
