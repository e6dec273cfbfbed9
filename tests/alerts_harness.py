"""Helpers for the alerts tests: subscribers made straight in the database, figures."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import update

from shared.alerts import feature, service, subscriptions
from shared.alerts.model import AlertState
from shared.clock import utcnow
from shared.services import Services
from shared.storage import citizens
from shared.storage.engine import Database
from shared.storage.schema import citizens as citizens_table


async def subscribers(
    services: Services | Database,
    platform: str,
    user_ids: Sequence[int],
    topic: str = "emergency",
) -> None:
    """Citizens who consented and subscribed to ``topic`` (as the menu would leave them)."""
    db = services.db if isinstance(services, Services) else services
    async with db.write() as conn:
        for user_id in user_ids:
            citizen = await citizens.get_or_create(conn, platform, str(user_id))
            await conn.execute(
                update(citizens_table)
                .where(citizens_table.c.id == citizen.id)
                .values(consent_at=utcnow(), state="idle")
            )
            await subscriptions.subscribe(conn, citizen.id, topic)


async def send(services: Services, text: str, topic: str = "emergency", **extra: object) -> int:
    """An alert created and queued as the CLI does it."""
    found = feature(services).find_topic(topic)
    assert found is not None
    alert_id = await service.create(services, topic=found, text=text, actor="test", **extra)  # type: ignore[arg-type]
    await service.enqueue_all(services, alert_id)
    return alert_id


async def done(services: Services, alert_id: int) -> bool:
    """Nothing of the alert is pending any more (the planner not needed)."""
    alert, figures = await service.status(services, alert_id)
    return alert.state is not AlertState.ENQUEUEING and figures.pending == 0


def adds_up(figures: service.Figures) -> bool:
    parts = (
        figures.sent,
        figures.unreachable,
        figures.pending,
        figures.failed,
        figures.unknown,
        figures.cancelled,
    )
    return sum(parts) == figures.total
