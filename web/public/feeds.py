"""RSS 2.0 and Atom feeds of the latest releases, for the office's old site and readers.

A feed is XML 1.0: whatever a release carries (a control character pasted from Word), the
document is cleaned of the characters XML forbids before it is sent.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

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
    return web.Response(text=printable(body), content_type=content_type, charset="utf-8")


async def rss(request: web.Request) -> web.Response:
    return await _feed(request, RSS_TEMPLATE, RSS)


async def atom(request: web.Request) -> web.Response:
    return await _feed(request, ATOM_TEMPLATE, ATOM)
