"""Repository functions for posts, their publications and our admin-chat messages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.clock import utcnow
from shared.domain import PostKind, PostStatus, PublicationState
from shared.errors import NotFound
from shared.posts.model import Post, Publication
from shared.richtext import Document
from shared.storage.schema import post_messages, posts, publications


async def insert(
    conn: AsyncConnection,
    *,
    title: str | None,
    body: Document,
    kind: PostKind,
    status: PostStatus,
    platforms: Sequence[str],
    scheduled_at: datetime | None,
    created_by: str,
    source_url: str | None = None,
    source_guid: str | None = None,
) -> int:
    now = utcnow()
    result = await conn.execute(
        posts.insert()
        .values(
            title=title,
            body=body.to_json(),
            kind=kind.value,
            status=status.value,
            platforms=list(platforms),
            scheduled_at=scheduled_at,
            created_by=created_by,
            source_url=source_url,
            source_guid=source_guid,
            version=1,
            created_at=now,
            updated_at=now,
        )
        .returning(posts.c.id)
    )
    return int(result.scalar_one())


async def find(conn: AsyncConnection, post_id: int) -> Post | None:
    row = (await conn.execute(select(posts).where(posts.c.id == post_id))).first()
    return Post.from_row(row) if row else None


async def get(conn: AsyncConnection, post_id: int) -> Post:
    post = await find(conn, post_id)
    if post is None:
        raise NotFound(f"post {post_id} does not exist")
    return post


async def set_fields(conn: AsyncConnection, post_id: int, **values: Any) -> None:
    for key, value in list(values.items()):
        if isinstance(value, Document):
            values[key] = value.to_json()
        elif hasattr(value, "value") and key in {"status", "kind"}:
            values[key] = value.value
    await conn.execute(
        update(posts).where(posts.c.id == post_id).values(updated_at=utcnow(), **values)
    )


async def recent(conn: AsyncConnection, limit: int = 50) -> list[Post]:
    rows = await conn.execute(select(posts).order_by(posts.c.id.desc()).limit(limit))
    return [Post.from_row(r) for r in rows]


async def due(conn: AsyncConnection, now: datetime) -> list[Post]:
    rows = await conn.execute(
        select(posts)
        .where(posts.c.status == PostStatus.SCHEDULED.value, posts.c.scheduled_at <= now)
        .order_by(posts.c.scheduled_at, posts.c.id)
    )
    return [Post.from_row(r) for r in rows]


async def upcoming(conn: AsyncConnection, now: datetime, until: datetime) -> list[datetime]:
    rows = await conn.execute(
        select(posts.c.scheduled_at).where(
            posts.c.status == PostStatus.SCHEDULED.value,
            posts.c.scheduled_at > now,
            posts.c.scheduled_at <= until,
        )
    )
    return sorted({r[0] for r in rows})


async def by_guid(conn: AsyncConnection, guid: str) -> int | None:
    row = await conn.execute(select(posts.c.id).where(posts.c.source_guid == guid))
    found = row.scalar_one_or_none()
    return int(found) if found is not None else None


# --- publications -------------------------------------------------------------------


async def publications_of(conn: AsyncConnection, post_id: int) -> list[Publication]:
    rows = await conn.execute(
        select(publications).where(publications.c.post_id == post_id).order_by(publications.c.id)
    )
    return [Publication.from_row(r) for r in rows]


async def publication(conn: AsyncConnection, pub_id: int) -> Publication | None:
    row = (await conn.execute(select(publications).where(publications.c.id == pub_id))).first()
    return Publication.from_row(row) if row else None


async def ensure_publication(conn: AsyncConnection, post_id: int, platform: str) -> Publication:
    """The post's record for a platform, created pending the first time."""
    for pub in await publications_of(conn, post_id):
        if pub.platform == platform:
            return pub
    await conn.execute(
        publications.insert().values(
            post_id=post_id,
            platform=platform,
            state=PublicationState.PENDING.value,
            remote_ids={},
            updated_at=utcnow(),
        )
    )
    return next(p for p in await publications_of(conn, post_id) if p.platform == platform)


async def set_publication(conn: AsyncConnection, pub_id: int, **values: Any) -> None:
    if "state" in values and isinstance(values["state"], PublicationState):
        values["state"] = values["state"].value
    if "remote" in values:
        values["remote_ids"] = values.pop("remote")
    await conn.execute(
        update(publications)
        .where(publications.c.id == pub_id)
        .values(updated_at=utcnow(), **values)
    )


# --- our messages in the admin chat ---------------------------------------------------


async def remember_message(
    conn: AsyncConnection,
    post_id: int,
    chat_id: int,
    message_id: int,
    role: str,
    outbox_id: int | None = None,
) -> None:
    existing = await message_role(conn, chat_id, message_id)
    if existing is not None:
        return
    await conn.execute(
        post_messages.insert().values(
            post_id=post_id,
            chat_id=chat_id,
            message_id=message_id,
            role=role,
            outbox_id=outbox_id,
            created_at=utcnow(),
        )
    )


async def message_role(
    conn: AsyncConnection, chat_id: int, message_id: int
) -> tuple[int, str, int | None] | None:
    """(post id, role, outbox id) of one of our admin-chat messages, or None."""
    row = (
        await conn.execute(
            select(post_messages.c.post_id, post_messages.c.role, post_messages.c.outbox_id).where(
                post_messages.c.chat_id == chat_id, post_messages.c.message_id == message_id
            )
        )
    ).first()
    return (int(row[0]), str(row[1]), row[2]) if row else None
