"""The append-only log of moderators' actions. Nothing here updates or deletes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.clock import utcnow
from shared.storage.schema import audit_log


async def record(
    conn: AsyncConnection,
    actor: str,
    action: str,
    target_type: str | None = None,
    target_id: int | str | None = None,
    **details: Any,
) -> None:
    await conn.execute(
        audit_log.insert().values(
            at=utcnow(),
            actor=actor,
            action=action,
            target_type=target_type,
            target_id=None if target_id is None else str(target_id),
            details=details,
        )
    )


async def entries(
    conn: AsyncConnection, target_type: str | None = None, target_id: int | str | None = None
) -> list[dict[str, Any]]:
    query = select(audit_log).order_by(audit_log.c.id)
    if target_type is not None:
        query = query.where(audit_log.c.target_type == target_type)
    if target_id is not None:
        query = query.where(audit_log.c.target_id == str(target_id))
    return [dict(r._mapping) for r in await conn.execute(query)]
