"""What alerts put in the outbox: the notices (broadcast lane), the admin chat's messages.

Everything alerts ask of the outbox goes through here, so the feature's use of it is in
one place: queueing notices in bulk, counting and cancelling them by their alert.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from config.settings import ADMIN_PLATFORM
from shared.alerts.model import Alert, AlertRef
from shared.alerts.subscriptions import Subscriber
from shared.delivered import Delivered
from shared.domain import OutboxAction, OutboxState
from shared.hotlines.cards import admin_chat
from shared.outbox import bulk, refs, store
from shared.outbox.lanes import Lane
from shared.outbox.model import OutboxMessage
from shared.outbox.payload import edit, message
from shared.outbox.refs import RefCounts
from shared.richtext import from_plain
from shared.services import Services

PRIORITY_ADMIN = 20  # the admin chat's status and summaries: as moderators' own replies


async def notices(
    conn: AsyncConnection, alert: Alert, payload: dict[str, Any], to: Sequence[Subscriber]
) -> None:
    """One notice per subscriber, in the broadcast lane (urgent's for an urgent alert),
    all in this transaction, in one multi-row insert."""
    lane = Lane.URGENT if alert.urgent else Lane.BROADCAST
    await bulk.insert_batch(
        conn,
        [
            OutboxMessage(
                platform=subscriber.platform,
                action=OutboxAction.SEND,
                destination=subscriber.destination,
                payload=payload,
                ref_type=AlertRef.NOTICE,
                ref_id=alert.id,
                citizen_id=subscriber.citizen_id,
                lane=lane,
            )
            for subscriber in to
        ],
    )


async def counts(conn: AsyncConnection, alert_id: int) -> RefCounts:
    return await refs.count_by_ref(conn, AlertRef.NOTICE, alert_id)


async def cancel(conn: AsyncConnection, alert_id: int) -> int:
    """Cancel the notices not started yet; those out already finish as they will."""
    return await refs.cancel_by_ref(conn, AlertRef.NOTICE, alert_id)


async def to_admin_chat(
    conn: AsyncConnection, services: Services, text: str, ref: AlertRef, alert_id: int
) -> int | None:
    """A message to the admin chat about an alert; None without an admin chat."""
    chat = admin_chat(services.settings)
    if chat is None:
        return None
    return await store.enqueue(
        conn,
        OutboxMessage(
            platform=ADMIN_PLATFORM,
            action=OutboxAction.SEND,
            destination=chat,
            payload=message(from_plain(text)),
            priority=PRIORITY_ADMIN,
            ref_type=ref,
            ref_id=alert_id,
        ),
    )


async def edit_status(conn: AsyncConnection, services: Services, alert: Alert, text: str) -> bool:
    """Show ``text`` in the alert's status message (the edit follows the earlier ones);
    False while the status message itself is not out yet."""
    chat = admin_chat(services.settings)
    if chat is None or alert.status_outbox_id is None:
        return False
    sent = await store.get(conn, alert.status_outbox_id)
    delivered = Delivered.from_dict(sent.result) if sent is not None else None
    if sent is None or sent.state is not OutboxState.SENT or delivered is None:
        return False  # not shown yet: the next tick edits it
    shown = [int(i) for i in delivered.ids()]
    await store.enqueue(
        conn,
        OutboxMessage(
            platform=ADMIN_PLATFORM,
            action=OutboxAction.EDIT,
            destination=chat,
            payload=edit(shown, from_plain(text), target=alert.status_outbox_id),
            priority=PRIORITY_ADMIN,
            ref_type=AlertRef.STATUS,
            ref_id=alert.id,
        ),
    )
    return True
