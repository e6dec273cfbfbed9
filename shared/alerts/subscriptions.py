"""Who is subscribed to what: one row per citizen and topic."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.clock import utcnow
from shared.storage.schema import alert_subscriptions, citizens


@dataclass(frozen=True)
class Subscriber:
    citizen_id: int
    platform: str
    destination: str  # the citizen's private chat on their platform
    reachable: bool


async def subscribe(conn: AsyncConnection, citizen_id: int, topic: str) -> bool:
    """Subscribe; False when the citizen already was."""
    if topic in await of_citizen(conn, citizen_id):
        return False
    await conn.execute(
        alert_subscriptions.insert().values(citizen_id=citizen_id, topic=topic, created_at=utcnow())
    )
    return True


async def unsubscribe(conn: AsyncConnection, citizen_id: int, topic: str) -> bool:
    """Unsubscribe; False when the citizen was not subscribed."""
    result = await conn.execute(
        delete(alert_subscriptions).where(
            alert_subscriptions.c.citizen_id == citizen_id, alert_subscriptions.c.topic == topic
        )
    )
    return bool(result.rowcount)


async def of_citizen(conn: AsyncConnection, citizen_id: int) -> set[str]:
    rows = await conn.execute(
        select(alert_subscriptions.c.topic).where(alert_subscriptions.c.citizen_id == citizen_id)
    )
    return {str(topic) for (topic,) in rows}


def _audience(topic: str) -> Select[Any]:
    """Subscribers who consented: withdrawing consent ends every subscription's effect."""
    return (
        select(
            citizens.c.id, citizens.c.platform, citizens.c.platform_user_id, citizens.c.reachable
        )
        .join(alert_subscriptions, alert_subscriptions.c.citizen_id == citizens.c.id)
        .where(alert_subscriptions.c.topic == topic, citizens.c.consent_at.is_not(None))
    )


async def after(conn: AsyncConnection, topic: str, cursor: int, limit: int) -> list[Subscriber]:
    """The next ``limit`` subscribers of ``topic`` after citizen ``cursor``, by id."""
    query = _audience(topic).where(citizens.c.id > cursor).order_by(citizens.c.id).limit(limit)
    return [Subscriber(int(i), p, str(u), bool(r)) for i, p, u, r in await conn.execute(query)]


async def by_platform(
    conn: AsyncConnection, topic: str, platforms: Sequence[str]
) -> dict[str, tuple[int, int]]:
    """Per platform: (reachable subscribers, unreachable ones) of ``topic``."""
    query = (
        select(citizens.c.platform, citizens.c.reachable, func.count())
        .join(alert_subscriptions, alert_subscriptions.c.citizen_id == citizens.c.id)
        .where(alert_subscriptions.c.topic == topic, citizens.c.consent_at.is_not(None))
        .group_by(citizens.c.platform, citizens.c.reachable)
    )
    out = {platform: (0, 0) for platform in platforms}
    for platform, reachable, count in await conn.execute(query):
        yes, no = out.get(platform, (0, 0))
        out[platform] = (yes + int(count), no) if reachable else (yes, no + int(count))
    return out
