"""Where an update stream was read up to: one marker per source, kept across restarts."""

from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.clock import utcnow
from shared.storage.schema import poll_markers


async def get(conn: AsyncConnection, source: str) -> int | None:
    found = await conn.execute(select(poll_markers.c.marker).where(poll_markers.c.source == source))
    value = found.scalar_one_or_none()
    return int(value) if value is not None else None


async def put(conn: AsyncConnection, source: str, marker: int) -> None:
    done = await conn.execute(
        update(poll_markers)
        .where(poll_markers.c.source == source)
        .values(marker=marker, updated_at=utcnow())
    )
    if done.rowcount == 0:
        await conn.execute(
            insert(poll_markers).values(source=source, marker=marker, updated_at=utcnow())
        )
