"""RSS 2.0 and Atom feeds of the latest releases, for the office's old site and readers.

A feed is XML 1.0: whatever a release carries (a control character pasted from Word), the
document is cleaned of the characters XML forbids before it is sent.

Readers poll feeds every few minutes: each answer carries an ``ETag`` (the document's hash)
and a ``Last-Modified`` (the archive's last change, a withdrawal included), and a reader
that has the current document gets 304 Not Modified without it.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from aiohttp import web

from shared.posts.model import Post
from web import archive
from web.public.common import services
from web.public.files import served_mime
from web.richhtml import printable, to_html
from web.templating import absolute, file_path, render_text

FEED_SIZE = 50
RSS = "application/rss+xml"
ATOM = "application/atom+xml"
RSS_TEMPLATE = "public/feed.rss.xml"
ATOM_TEMPLATE = "public/feed.atom.xml"
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def _when(post: Post) -> datetime:
    return post.published_at or EPOCH


async def _feed(request: web.Request, template: str, content_type: str) -> web.Response:
    async with services(request).db.read() as conn:
        latest = await archive.latest(conn, FEED_SIZE)
        posts = [post for post, _ in latest]
        photos = await archive.first_photos(conn, [post.id for post in posts])
        changed_at = await archive.last_change(conn)
    changed = {post.id: updated_at for post, updated_at in latest}

    def edited(post: Post) -> datetime:
        """Atom's <updated>: the last change to the release, never before its publication."""
        return max(_when(post), changed.get(post.id) or EPOCH)

    updated = max((edited(p) for p in posts), default=EPOCH)
    body = render_text(
        request,
        template,
        posts=posts,
        updated=updated,
        when=_when,
        edited=edited,
        rfc822=format_datetime,
        html=lambda doc: str(to_html(doc)),
        link=lambda post: absolute(request, f"/releases/{post.id}"),
        photos=photos,
        photo_url=lambda enclosure: absolute(request, file_path(enclosure.media)),
        photo_type=lambda enclosure: served_mime(enclosure.media.mime),
        home=absolute(request, "/"),
        self_rss=absolute(request, "/feed.rss"),
        self_atom=absolute(request, "/feed.atom"),
    )
    document = printable(body).encode("utf-8")
    headers = {"ETag": _etag(document)}
    if changed_at is not None:
        headers["Last-Modified"] = format_datetime(changed_at.astimezone(UTC), usegmt=True)
    if _unchanged(request, headers["ETag"], changed_at):
        return web.Response(status=304, headers=headers)
    return web.Response(body=document, content_type=content_type, charset="utf-8", headers=headers)


def _etag(document: bytes) -> str:
    return '"' + hashlib.sha256(document).hexdigest()[:32] + '"'


def _unchanged(request: web.Request, etag: str, changed_at: datetime | None) -> bool:
    """The reader's copy is current: its ETag matches (which decides when it sent one), or
    nothing changed since its date (to the second, as HTTP dates go)."""
    tags = request.headers.get("If-None-Match")
    if tags is not None:
        known = {tag.strip().removeprefix("W/") for tag in tags.split(",")}
        return "*" in known or etag in known
    since = request.headers.get("If-Modified-Since")
    if since is None or changed_at is None:
        return False
    try:
        seen = parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False
    if seen.tzinfo is None:
        return False
    return changed_at.replace(microsecond=0) <= seen


async def rss(request: web.Request) -> web.Response:
    return await _feed(request, RSS_TEMPLATE, RSS)


async def atom(request: web.Request) -> web.Response:
    return await _feed(request, ATOM_TEMPLATE, ATOM)
