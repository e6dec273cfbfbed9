"""Taking a post back: deleting what it published, calling off what it has not sent yet.

Used by the delete itself and by the outbox hook, which sees the outcome of a send that
was already in flight when the post was deleted; both run inside a write transaction.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncConnection

from shared.delivered import KEY as DELIVERED
from shared.domain import OutboxAction
from shared.domain import PublicationState as PubState
from shared.outbox import refs, store
from shared.outbox.model import OutboxMessage
from shared.outbox.payload import delete as delete_payload
from shared.posts import changes, repo
from shared.posts.model import REF_PUBLICATION, WALL, Publication

DELETE_PRIORITY = 50  # a withdrawn post leaves as fast as an urgent one comes out

# A publication whose send may still be waiting in the outbox: it can be called off.
UNSENT = frozenset({PubState.PENDING, PubState.HELD})


async def destination(conn: AsyncConnection, pub: Publication) -> str:
    """Where the publication's send went: its edits and its deletion go there too."""
    sent = await store.get(conn, pub.outbox_id) if pub.outbox_id is not None else None
    return sent.destination if sent is not None else WALL


class Deletion(StrEnum):
    """What asking for a publication's deletion did."""

    QUEUED = "queued"  # a deletion is on its way (a new one, or one already out)
    BY_HAND = "by_hand"  # nothing is known made: a person deletes it on the platform


async def enqueue_deletion(conn: AsyncConnection, pub: Publication) -> Deletion:
    """Queue the deletion of what the publication made.

    A deletion the platform refused is queued again (a new row: the refused one keeps its
    outcome); one still waiting, out, or asked about is left to finish, never doubled.
    Nothing is queued when nothing is known made (an unknown send confirmed by a
    moderator, with no ids): a person deletes it.
    """
    if not changes.known(pub):
        return Deletion.BY_HAND
    rows = await changes.rows_of(conn, pub)
    previous = changes.last(rows, OutboxAction.DELETE)
    if previous is not None and previous.state not in changes.RETRYABLE:
        return Deletion.QUEUED
    tries = changes.attempts(rows, OutboxAction.DELETE)
    # The first deletion keeps the key it always had; a retry's names its attempt.
    key = f"publication:{pub.id}:delete" + (f":{tries}" if tries else "")
    await store.enqueue(
        conn,
        OutboxMessage(
            platform=pub.platform,
            action=OutboxAction.DELETE,
            destination=await destination(conn, pub),
            payload=delete_payload([], extra={DELIVERED: pub.remote}),
            priority=DELETE_PRIORITY,
            dedupe_key=key,
            ref_type=REF_PUBLICATION,
            ref_id=pub.id,
        ),
    )
    return Deletion.QUEUED


async def call_off(conn: AsyncConnection, pub: Publication) -> bool:
    """Cancel the publication's send if it has not started, and say so on the publication.

    False when nothing was waiting: the send is in flight, and the outbox hook deletes
    what it makes once its outcome is recorded (``PublicationHooks``).
    """
    cancelled = await refs.cancel_by_ref(conn, REF_PUBLICATION, pub.id, action=OutboxAction.SEND)
    if cancelled:
        await repo.set_publication(conn, pub.id, state=PubState.CANCELLED)
    return cancelled > 0
