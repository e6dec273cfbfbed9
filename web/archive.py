"""What the public pages read: published releases, their files and links, closed hotlines.

Only published posts are public, and of their files only the post's own; nothing of a
citizen but the text of a question marked for publication. A release is public once it
came out anywhere (``published_at``) and while it is still out: published, partly published,
or publishing again (a retry of the platforms that refused it, an unknown or held send) —
never a draft, a release that failed everywhere, or one withdrawn or deleted (cancelled).
A hotline is public once closed, unless it was called off (closed before it started).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, String, and_, cast, func, null, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.domain import HotlineStatus, MediaKind, PostStatus, PublicationState
from shared.hotlines import digest
from shared.hotlines.campaigns import Hotline
from shared.posts.model import OWNER, Post
from shared.reports.figures import CLOSE_ACTION, NOT_HELD_ACTION
from shared.storage.media import Media
from shared.storage.schema import audit_log, hotlines, media, posts, publications
from web import search

# Out on some platform: a retry (PUBLISHING) leaves what is out where it is.
PUBLIC = (
    PostStatus.PUBLISHED.value,
    PostStatus.PARTLY_PUBLISHED.value,
    PostStatus.PUBLISHING.value,
)


@dataclass(frozen=True)
class Page:
    """One page of a listing: its items, its number (from 1) and how many pages there are."""

    posts: list[Post]
    number: int
    pages: int
    total: int

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.number < self.pages else None


@dataclass(frozen=True)
class Link:
    """Where a release was published: the platform's name and the public address."""

    platform: str
    url: str


def _public() -> Any:
    """Came out somewhere and not taken back: a first send still under way is not public."""
    return and_(posts.c.status.in_(PUBLIC), posts.c.published_at.is_not(None))


def _newest_first(query: Select[Any]) -> Select[Any]:
    return query.order_by(posts.c.published_at.desc(), posts.c.id.desc())


async def _page(conn: AsyncConnection, where: Any, number: int, size: int) -> Page:
    """One page in one statement: the page's ids from the index, their rows, the total."""
    number = max(1, number)
    ids = (
        _newest_first(select(posts.c.id).where(where))
        .limit(size)
        .offset((number - 1) * size)
        .subquery("page")
    )
    total = select(func.count()).select_from(posts).where(where).correlate(None)
    rows = (
        await conn.execute(
            _newest_first(
                select(posts, total.scalar_subquery().label("total")).join(
                    ids, ids.c.id == posts.c.id
                )
            )
        )
    ).all()
    if not rows:  # past the last page (or nothing at all): show the last one
        count = int((await conn.execute(total)).scalar_one())
        last = max(1, math.ceil(count / size))
        return Page([], 1, 1, 0) if count == 0 else await _page(conn, where, last, size)
    count = int(rows[0].total)
    return Page([Post.from_row(r) for r in rows], number, max(1, math.ceil(count / size)), count)


async def releases(conn: AsyncConnection, number: int, size: int) -> Page:
    """Published releases, newest first."""
    return await _page(conn, _public(), number, size)


async def found(conn: AsyncConnection, query: str, number: int, size: int) -> Page:
    """Published releases matching ``query`` in title or body, newest first."""
    match = await search.condition(conn, query)
    if match is None:
        return Page([], 1, 1, 0)
    return await _page(conn, and_(_public(), match), number, size)


async def latest(conn: AsyncConnection, limit: int) -> list[tuple[Post, datetime]]:
    """The newest releases, each with when its row last changed (an edit moves it)."""
    rows = await conn.execute(_newest_first(select(posts).where(_public())).limit(limit))
    return [(Post.from_row(row), row.updated_at) for row in rows]


async def public_count(conn: AsyncConnection) -> int:
    return int((await conn.execute(select(func.count()).where(_public()))).scalar_one())


async def release_changes(
    conn: AsyncConnection, offset: int, limit: int
) -> list[tuple[int, datetime | None]]:
    """Published releases, oldest first, each with its last change: the sitemap's
    ``lastmod`` (an edit after publication moves it)."""
    changed = func.coalesce(posts.c.updated_at, posts.c.published_at)
    rows = await conn.execute(
        select(posts.c.id, posts.c.published_at, changed.label("changed"))
        .where(_public())
        .order_by(posts.c.id)
        .offset(offset)
        .limit(limit)
    )
    return [(int(r.id), _later(r.published_at, r.changed)) for r in rows]


async def newest_change(conn: AsyncConnection) -> datetime | None:
    """When the archive last changed: its newest publication or edit."""
    row = (
        await conn.execute(
            select(func.max(posts.c.published_at), func.max(posts.c.updated_at)).where(_public())
        )
    ).one()
    return _later(row[0], row[1])


async def last_change(conn: AsyncConnection) -> datetime | None:
    """When any release that ever came out last changed: a publication, an edit, and also a
    withdrawal, which takes it off the feeds (``newest_change`` sees only those still out)."""
    row = (
        await conn.execute(
            select(func.max(posts.c.published_at), func.max(posts.c.updated_at)).where(
                posts.c.published_at.is_not(None)
            )
        )
    ).one()
    return _later(row[0], row[1])


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    found = [x for x in (a, b) if x is not None]
    return max(found) if found else None


async def release(conn: AsyncConnection, post_id: int) -> Post | None:
    row = (await conn.execute(select(posts).where(posts.c.id == post_id, _public()))).first()
    return Post.from_row(row) if row is not None else None


async def files(conn: AsyncConnection, post_id: int) -> list[Media]:
    """The release's photos and documents, without their bytes (the page only links them)."""
    columns = [c for c in media.c if c.name != "data"]
    rows = await conn.execute(
        select(*columns, null().label("data"))
        .where(
            media.c.owner_type == OWNER,
            media.c.owner_id == post_id,
            media.c.data.is_not(None),  # a file known only by a platform's id is not ours to serve
        )
        .order_by(media.c.position, media.c.id)
    )
    return [Media.from_row(row) for row in rows]


async def links(conn: AsyncConnection, post_id: int) -> list[Link]:
    rows = await conn.execute(
        select(publications.c.platform, publications.c.url)
        .where(
            publications.c.post_id == post_id,
            publications.c.state == PublicationState.PUBLISHED.value,
            publications.c.url.is_not(None),
        )
        .order_by(publications.c.id)
    )
    return [Link(platform, url) for platform, url in rows]


@dataclass(frozen=True)
class Enclosure:
    """A release's first photo, as a feed item's enclosure."""

    media: Media
    length: int


async def first_photos(conn: AsyncConnection, post_ids: list[int]) -> dict[int, Enclosure]:
    """Each release's first photo (by position) with its size, for the feeds."""
    if not post_ids:
        return {}
    columns = [c for c in media.c if c.name != "data"]
    rows = await conn.execute(
        select(*columns, null().label("data"), func.length(media.c.data).label("length"))
        .where(
            media.c.owner_type == OWNER,
            media.c.owner_id.in_(post_ids),
            media.c.kind == MediaKind.PHOTO.value,
            media.c.data.is_not(None),
        )
        .order_by(media.c.owner_id, media.c.position.desc(), media.c.id.desc())
    )
    return {int(row.owner_id): Enclosure(Media.from_row(row), int(row.length)) for row in rows}


async def public_file(conn: AsyncConnection, media_id: int) -> Media | None:
    """A photo or document of a published release (never a citizen's file)."""
    row = (
        await conn.execute(
            select(media)
            .join(posts, and_(media.c.owner_type == OWNER, media.c.owner_id == posts.c.id))
            .where(media.c.id == media_id, _public(), media.c.data.is_not(None))
        )
    ).first()
    return Media.from_row(row) if row is not None else None


@dataclass(frozen=True)
class ClosedHotline:
    hotline: Hotline
    published: int


def _held() -> Any:
    """Closed, and it took place: not called off (closed while still scheduled, before its
    start), as the office's report counts it (``shared.reports.figures``), and not one
    whose hours passed while the app was down (it never opened)."""
    never = (
        select(audit_log.c.id)
        .where(
            audit_log.c.target_type == "hotline",
            audit_log.c.target_id == cast(hotlines.c.id, String),
            or_(
                and_(audit_log.c.action == CLOSE_ACTION, audit_log.c.at < hotlines.c.starts_at),
                audit_log.c.action == NOT_HELD_ACTION,
            ),
        )
        .exists()
    )
    return and_(hotlines.c.status == HotlineStatus.CLOSED.value, ~never)


async def closed_hotlines(conn: AsyncConnection) -> list[ClosedHotline]:
    """Closed hotlines, newest first, each with how many answers it has published: the
    questions its page shows (the digest's, so none answered only with a photo)."""
    rows = (
        await conn.execute(
            select(hotlines)
            .where(_held())
            .order_by(hotlines.c.ends_at.desc(), hotlines.c.id.desc())
        )
    ).all()
    published = await digest.counts(conn, [int(row.id) for row in rows])
    return [ClosedHotline(Hotline.from_row(row), published.get(int(row.id), 0)) for row in rows]


async def closed_hotline(conn: AsyncConnection, hotline_id: int) -> Hotline | None:
    row = (await conn.execute(select(hotlines).where(hotlines.c.id == hotline_id, _held()))).first()
    return Hotline.from_row(row) if row is not None else None
