"""RSS 2.0 and Atom feeds of the latest releases, for the office's old site and readers."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

from aiohttp import web

from shared.posts.model import Post
from web import archive
from web.public.common import services
from web.richhtml import to_html
from web.templating import absolute, file_path, render

FEED_SIZE = 50
RSS = "application/rss+xml"
ATOM = "application/atom+xml"
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def _when(post: Post) -> datetime:
    return post.published_at or EPOCH


async def _feed(request: web.Request, template: str, content_type: str) -> web.Response:
    async with services(request).db.read() as conn:
        posts = await archive.latest(conn, FEED_SIZE)
        photos = await archive.first_photos(conn, [post.id for post in posts])
    updated = max((_when(p) for p in posts), default=EPOCH)
    return render(
        request,
        template,
        content_type=content_type,
        posts=posts,
        updated=updated,
        when=_when,
        rfc822=format_datetime,
        html=lambda doc: str(to_html(doc)),
        link=lambda post: absolute(request, f"/releases/{post.id}"),
        photos=photos,
        photo_url=lambda enclosure: absolute(request, file_path(enclosure.media)),
        home=absolute(request, "/"),
        self_rss=absolute(request, "/feed.rss"),
        self_atom=absolute(request, "/feed.atom"),
    )


async def rss(request: web.Request) -> web.Response:
    return await _feed(request, "public/feed.rss.xml", RSS)


async def atom(request: web.Request) -> web.Response:
    return await _feed(request, "public/feed.atom.xml", ATOM)
