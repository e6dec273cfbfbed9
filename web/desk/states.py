"""What the calendar shows for a post on each of its platforms."""

from __future__ import annotations

from enum import StrEnum

from shared.domain import PostStatus
from shared.domain import PublicationState as PubState
from shared.posts.model import Post, Publication


class DeskState(StrEnum):
    DRAFT = "draft"  # not scheduled: waits for a moderator
    SCHEDULED = "scheduled"  # waits for its time
    SENDING = "sending"  # queued in the outbox, not yet accepted by the platform
    SENT = "sent"  # the platform accepted it (it carries the public link)
    FAILED = "failed"  # the platform refused it for good (the reason is shown)
    UNKNOWN = "unknown"  # a send that may or may not have gone out: a person must look
    HELD = "held"  # parked until a person acts (a captcha)
    MISSED = "missed"  # its time passed while the app was down: publish or drop it
    CANCELLED = "cancelled"  # will not be published
    DELETED = "deleted"  # removed from the platform after publication


_BEFORE = {
    PostStatus.DRAFT: DeskState.DRAFT,
    PostStatus.SCHEDULED: DeskState.SCHEDULED,
    PostStatus.MISSED: DeskState.MISSED,
    PostStatus.CANCELLED: DeskState.CANCELLED,
}

_OF_PUBLICATION = {
    PubState.PENDING: DeskState.SENDING,
    PubState.PUBLISHED: DeskState.SENT,
    PubState.FAILED: DeskState.FAILED,
    PubState.UNKNOWN: DeskState.UNKNOWN,
    PubState.HELD: DeskState.HELD,
    PubState.DELETED: DeskState.DELETED,
    PubState.CANCELLED: DeskState.CANCELLED,
}


def on_platform(post: Post, publication: Publication | None) -> DeskState:
    if publication is None:
        return _BEFORE.get(post.status, DeskState.SENDING)
    if post.status is PostStatus.CANCELLED and publication.state is PubState.PENDING:
        return DeskState.CANCELLED
    return _OF_PUBLICATION[publication.state]
