"""Citizens: one row per person per platform."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.clock import utcnow
from shared.storage import writebehind
from shared.storage.schema import citizens


@dataclass(frozen=True)
class Citizen:
    id: int
    platform: str
    platform_user_id: str
    display_name: str | None
    consent_at: datetime | None
    reachable: bool
    banned: bool
    state: str | None
    state_data: dict[str, Any]

    @classmethod
    def from_row(cls, row: Any) -> Citizen:
        m = row._mapping
        return cls(
            id=m["id"],
            platform=m["platform"],
            platform_user_id=m["platform_user_id"],
            display_name=m["display_name"],
            consent_at=m["consent_at"],
            reachable=m["reachable"],
            banned=m["banned"],
            state=m["state"],
            state_data=dict(m["state_data"] or {}),
        )


def active_since(since: datetime) -> ColumnElement[bool]:
    """Of a ``citizens`` row: the citizen did something themselves at or after ``since`` —
    first wrote, consented, or wrote a message (the flood control's window, kept with the
    citizen, begins with the first of their latest minute's messages; a flood's silence
    ends after the message that caused it)."""
    when = (
        citizens.c.consent_at,
        citizens.c.throttle_window_start,
        citizens.c.silenced_until,
    )  # each may be NULL: compared only when set, so that NOT of this is never NULL
    return or_(
        citizens.c.created_at >= since,
        *(and_(column.is_not(None), column >= since) for column in when),
    )


async def get(conn: AsyncConnection, citizen_id: int) -> Citizen | None:
    row = (await conn.execute(select(citizens).where(citizens.c.id == citizen_id))).first()
    return Citizen.from_row(row) if row else None


async def find(conn: AsyncConnection, platform: str, platform_user_id: str) -> Citizen | None:
    row = (
        await conn.execute(
            select(citizens).where(
                citizens.c.platform == platform,
                citizens.c.platform_user_id == platform_user_id,
            )
        )
    ).first()
    return Citizen.from_row(row) if row else None


async def get_or_create(
    conn: AsyncConnection, platform: str, platform_user_id: str, display_name: str | None = None
) -> Citizen:
    """The citizen's row; a new one stores no name until the citizen consents."""
    found = await find(conn, platform, platform_user_id)
    if found is not None:
        return found
    await conn.execute(
        citizens.insert().values(
            platform=platform,
            platform_user_id=platform_user_id,
            display_name=None,
            reachable=True,
            banned=False,
            state_data={},
            throttle_count=0,
            created_at=utcnow(),
        )
    )
    created = await find(conn, platform, platform_user_id)
    assert created is not None
    return created


async def mark_unreachable(conn: AsyncConnection, citizen_id: int) -> None:
    """The platform says the citizen can't be written to (blocked the bot): stop trying."""
    await conn.execute(update(citizens).where(citizens.c.id == citizen_id).values(reachable=False))


async def set_fields(conn: AsyncConnection, citizen_id: int, **values: Any) -> None:
    await writebehind.update(conn, citizens, citizen_id, values)
