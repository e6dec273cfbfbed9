"""Each feed's conditional-GET validators and the items it gave us, by feed and key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.clock import utcnow
from shared.storage.schema import feed_items, feed_sources


@dataclass(frozen=True)
class Source:
    id: int
    url: str
    etag: str | None
    last_modified: str | None


@dataclass(frozen=True)
class Known:
    """An item imported before: its post and the content it had then."""

    id: int
    post_id: int
    content_hash: str


async def source(conn: AsyncConnection, url: str) -> Source:
    """The feed's record, created the first time the feed is read."""
    query = select(feed_sources).where(feed_sources.c.url == url)
    row = (await conn.execute(query)).first()
    if row is None:
        await conn.execute(feed_sources.insert().values(url=url))
        row = (await conn.execute(query)).one()
    m = row._mapping
    return Source(m["id"], m["url"], m["etag"], m["last_modified"])


async def set_validators(
    conn: AsyncConnection, source_id: int, etag: str | None, last_modified: str | None
) -> None:
    await conn.execute(
        update(feed_sources)
        .where(feed_sources.c.id == source_id)
        .values(etag=etag, last_modified=last_modified, checked_at=utcnow())
    )


async def known(conn: AsyncConnection, source_id: int, key: str) -> Known | None:
    row = (
        await conn.execute(
            select(feed_items.c.id, feed_items.c.post_id, feed_items.c.content_hash).where(
                feed_items.c.feed_id == source_id, feed_items.c.item_key == key
            )
        )
    ).first()
    return Known(int(row[0]), int(row[1]), str(row[2])) if row else None


async def told_apart(conn: AsyncConnection, source_id: int, prefix: str, length: int) -> bool:
    """Whether an item of the feed is remembered by a key of ``length`` characters starting
    with ``prefix`` (items that shared a key were told apart: ``parse.told_apart``)."""
    row = (
        await conn.execute(
            select(feed_items.c.id)
            .where(
                feed_items.c.feed_id == source_id,
                feed_items.c.item_key.startswith(prefix, autoescape=True),
                func.length(feed_items.c.item_key) == length,
            )
            .limit(1)
        )
    ).first()
    return row is not None


async def remember(
    conn: AsyncConnection,
    source_id: int,
    key: str,
    post_id: int,
    content_hash: str,
    failed: list[dict[str, Any]],
    now: datetime | None = None,
) -> None:
    now = now or utcnow()
    await conn.execute(
        feed_items.insert().values(
            feed_id=source_id,
            item_key=key,
            post_id=post_id,
            content_hash=content_hash,
            failed_photos=failed,
            created_at=now,
            updated_at=now,
        )
    )


async def set_hash(conn: AsyncConnection, item_id: int, content_hash: str) -> None:
    await conn.execute(
        update(feed_items)
        .where(feed_items.c.id == item_id)
        .values(content_hash=content_hash, updated_at=utcnow())
    )


async def missing_files(conn: AsyncConnection, post_id: int) -> list[dict[str, Any]]:
    """Files the feed named for the post that it did not get (for the preview)."""
    rows = await conn.execute(
        select(feed_items.c.failed_photos).where(feed_items.c.post_id == post_id)
    )
    return [dict(item) for row in rows for item in (row[0] or [])]
