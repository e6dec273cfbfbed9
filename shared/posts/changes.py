"""What became of a published post's later changes on each platform: its edits and its
deletion, which the platform may have refused or which the bot could not make at all.

A publication whose messages the bot does not know (a send whose outcome was unknown,
which a moderator confirmed as out: nothing says which messages it made) cannot be edited
or deleted by the bot: a person does it by hand, and is told so. An edit or a deletion
the platform refused can be tried again, once the previous try has ended: never two at
once, never one while a person is asked about an uncertain one.

Everything here is read from the publication and its outbox rows (through
``shared.outbox.store``): nothing is stored beside them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncConnection

from shared.delivered import Delivered
from shared.domain import OutboxAction, OutboxState, PostStatus
from shared.domain import PublicationState as PubState
from shared.outbox import store
from shared.outbox.model import OutboxItem
from shared.outbox.payload import MessagePayload
from shared.posts.model import REF_PUBLICATION, Post, Publication, full_doc

# The outcome of an edit or a deletion that may be tried again with a new row: the
# platform refused it. Any other (waiting, out, unknown, done) has no second row beside it.
RETRYABLE = frozenset({OutboxState.FAILED})


class Trouble(StrEnum):
    """Why a platform does not show the post as it is now (``posts.trouble.*``)."""

    EDIT_FAILED = "edit_failed"  # the platform refused the new text: it can be tried again
    DELETE_FAILED = "delete_failed"  # the platform refused the deletion: likewise
    EDIT_BY_HAND = "edit_by_hand"  # the bot does not know the messages: a person edits
    DELETE_BY_HAND = "delete_by_hand"  # likewise, a person deletes

    @property
    def retryable(self) -> bool:
        return self in {Trouble.EDIT_FAILED, Trouble.DELETE_FAILED}


@dataclass(frozen=True)
class Found:
    """A publication's trouble, and the platform's own words for it (kept for the log)."""

    pub: Publication
    trouble: Trouble
    detail: str | None = None


def known(pub: Publication) -> bool:
    """Whether the publication names what it made, so its sender can edit or delete it.

    Nothing stored (a send confirmed by a moderator) or a typed delivery with no messages
    names nothing; any other shape is a sender's own (older) record, which it reads.
    """
    if not pub.remote:
        return False
    delivered = Delivered.from_dict(pub.remote)
    return delivered is None or bool(delivered.ids())


def out_in_part(pub: Publication) -> bool:
    """A send that failed part-way: the messages it made (an album before its refused
    text) are out, named on the publication, and are deleted with the post."""
    return pub.state is PubState.FAILED and known(pub)


def last(rows: Sequence[OutboxItem], action: OutboxAction) -> OutboxItem | None:
    """The publication's latest row of ``action`` (rows come in the order they were made)."""
    return next((r for r in reversed(rows) if r.action is action), None)


def attempts(rows: Sequence[OutboxItem], action: OutboxAction) -> int:
    return sum(1 for r in rows if r.action is action)


async def rows_of(conn: AsyncConnection, pub: Publication) -> list[OutboxItem]:
    return await store.by_ref(conn, REF_PUBLICATION, pub.id)


async def _stale(conn: AsyncConnection, post: Post, pub: Publication) -> bool:
    """The platform shows another text than the post's: its send carried an older one."""
    sent = await store.get(conn, pub.outbox_id) if pub.outbox_id is not None else None
    if sent is None:
        return False
    return MessagePayload.from_dict(sent.payload).doc != full_doc(post)


async def trouble_of(conn: AsyncConnection, post: Post, pub: Publication) -> Found | None:
    """What the platform got wrong of the post's later changes, if anything (a send that
    failed part-way counts as out for its deletion)."""
    if pub.state is not PubState.PUBLISHED and not out_in_part(pub):
        return None
    rows = await rows_of(conn, pub)
    if post.status is PostStatus.CANCELLED:
        deletion = last(rows, OutboxAction.DELETE)
        if deletion is not None:
            if deletion.state in RETRYABLE:
                return Found(pub, Trouble.DELETE_FAILED, deletion.error)
            return None
        return None if known(pub) else Found(pub, Trouble.DELETE_BY_HAND)
    if not known(pub):
        return Found(pub, Trouble.EDIT_BY_HAND) if await _stale(conn, post, pub) else None
    edit = last(rows, OutboxAction.EDIT)
    if edit is not None and edit.state in RETRYABLE:
        return Found(pub, Trouble.EDIT_FAILED, edit.error)
    return None


async def troubles(
    conn: AsyncConnection, post: Post, pubs: Sequence[Publication]
) -> dict[int, Found]:
    """The post's troubles by publication id (only the post's own platforms)."""
    found: dict[int, Found] = {}
    for pub in pubs:
        if pub.platform not in post.platforms:
            continue
        one = await trouble_of(conn, post, pub)
        if one is not None:
            found[pub.id] = one
    return found
