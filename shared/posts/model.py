"""A post and its publications as the rest of the code sees them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from shared.domain import PostKind, PostStatus, PublicationState
from shared.richtext import Block, Document, Span, join
from shared.storage.media import MediaOwner

OWNER = MediaOwner.POST


class PostRef(StrEnum):
    """What a post's outbox row is for: its ``ref_type``, which picks the outcome hook."""

    PUBLICATION = "publication"  # the post on one platform (sent, edited, deleted); ref_id is it
    NOTICE = "post_notice"  # a note on the post to the admin chat (preview, unknown, captcha)


REF_PUBLICATION = PostRef.PUBLICATION
REF_NOTICE = PostRef.NOTICE
MAX_PHOTOS = 10
# A publication time further ahead is more often a typo in the year than a plan: the CLI
# asks for --yes and the desk for a tick before scheduling it.
FAR_AHEAD = timedelta(days=365)
WALL = "wall"  # every publication's destination: the office channel, as each sender knows it


@dataclass(frozen=True)
class Post:
    id: int
    title: str | None
    body: Document
    kind: PostKind
    status: PostStatus
    platforms: list[str]
    scheduled_at: datetime | None
    created_by: str
    source_url: str | None
    version: int
    preview_message_id: int | None
    published_at: datetime | None

    @property
    def urgent(self) -> bool:
        return self.kind is PostKind.URGENT

    @classmethod
    def from_row(cls, row: Any) -> Post:
        m = row._mapping
        return cls(
            id=m["id"],
            title=m["title"],
            body=Document.from_json(m["body"]),
            kind=PostKind(m["kind"]),
            status=PostStatus(m["status"]),
            platforms=list(m["platforms"] or []),
            scheduled_at=m["scheduled_at"],
            created_by=m["created_by"],
            source_url=m["source_url"],
            version=m["version"],
            preview_message_id=m["preview_message_id"],
            published_at=m["published_at"],
        )


@dataclass(frozen=True)
class Publication:
    id: int
    post_id: int
    platform: str
    state: PublicationState
    remote: dict[str, Any] = field(default_factory=dict)
    url: str | None = None
    error: str | None = None
    outbox_id: int | None = None

    @classmethod
    def from_row(cls, row: Any) -> Publication:
        m = row._mapping
        remote = m["remote_ids"]
        return cls(
            id=m["id"],
            post_id=m["post_id"],
            platform=m["platform"],
            state=PublicationState(m["state"]),
            remote=dict(remote) if isinstance(remote, dict) else {},
            url=m["url"],
            error=m["error"],
            outbox_id=m["outbox_id"],
        )


def titled(title: str | None, body: Document) -> Document:
    """What readers see: the title (if any) as a heading, then the body."""
    if not title:
        return body
    return join(Document((Block("heading", (Span(title),)),)), body)


def full_doc(post: Post) -> Document:
    """The post as the platforms show it: its title as a heading, then its body."""
    return titled(post.title, post.body)
