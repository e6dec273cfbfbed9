"""A literal text to a person on any platform, queued in the outbox."""

from __future__ import annotations

from collections.abc import Sequence

from shared.domain import OutboxAction
from shared.outbox import store
from shared.outbox.model import OutboxMessage
from shared.outbox.payload import Button, message
from shared.richtext import from_plain
from shared.services import Services


async def send_text(
    services: Services,
    platform: str,
    destination: int | str,
    text: str,
    *,
    buttons: Sequence[Sequence[Button]] = (),
    reply_to: int | None = None,
    citizen_id: int | None = None,
    priority: int = 10,
) -> int:
    """Queue ``text`` (taken literally, never as markup) and wake the outbox."""
    async with services.db.write() as conn:
        item_id = await store.enqueue(
            conn,
            OutboxMessage(
                platform=platform,
                action=OutboxAction.SEND,
                destination=str(destination),
                payload=message(from_plain(text), buttons=buttons, reply_to=reply_to),
                priority=priority,
                citizen_id=citizen_id,
            ),
        )
    services.wake_outbox()
    return item_id
