"""What search engines read: ``/robots.txt`` and ``/sitemap.xml``.

The office publishes so that anyone can find it: the sitemap lists every public page —
the archive, each published release with when it last changed, the closed hotlines and
each one's page — so that Yandex and Google index them all, not only what their crawlers
reach by links. The staff desk and search results are kept out.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from urllib.parse import urlsplit

from aiohttp import web

from shared.clock import utcnow
from shared.hotlines.campaigns import Hotline
from web import archive
from web.public.common import services
from web.templating import absolute, render_text

# sitemaps.org: at most 50,000 addresses in one sitemap; beyond that, an index of several.
SITEMAP_LIMIT = 50_000
XML = "application/xml"


def _root(request: web.Request) -> str:
    """The public address's path (``/news`` when the site is served under it)."""
    return urlsplit(absolute(request, "")).path.rstrip("/")


def _w3c(moment: datetime | None) -> str | None:
    """A sitemap's ``lastmod``: W3C date-time, in UTC; none when nothing says (optional)."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def robots(request: web.Request) -> web.Response:
    root = _root(request)
    lines = [
        "User-agent: *",
        f"Disallow: {root}/desk",
        f"Disallow: {root}/search",
        f"Sitemap: {absolute(request, '/sitemap.xml')}",
    ]
    return web.Response(text="\n".join(lines) + "\n", content_type="text/plain")


async def sitemap(request: web.Request) -> web.Response:
    """The addresses themselves, or, past ``SITEMAP_LIMIT`` releases, an index of parts."""
    async with services(request).db.read() as conn:
        count = await archive.public_count(conn)
    parts = max(1, math.ceil(count / SITEMAP_LIMIT))
    if parts == 1:
        return await _part(request, 1, with_pages=True)
    async with services(request).db.read() as conn:
        newest = await archive.newest_change(conn)
    body = render_text(
        request,
        "public/sitemap_index.xml",
        parts=[absolute(request, f"/sitemap-{n}.xml") for n in range(1, parts + 1)],
        lastmod=_w3c(newest),
    )
    return web.Response(text=body, content_type=XML, charset="utf-8")


async def sitemap_part(request: web.Request) -> web.Response:
    number = int(request.match_info["n"])
    async with services(request).db.read() as conn:
        count = await archive.public_count(conn)
    if not 1 <= number <= max(1, math.ceil(count / SITEMAP_LIMIT)):
        raise web.HTTPNotFound()
    return await _part(request, number, with_pages=number == 1)


async def _part(request: web.Request, number: int, *, with_pages: bool) -> web.Response:
    """One sitemap: a slice of the releases, oldest first (the first part also lists the
    archive and the hotlines)."""
    offset = (number - 1) * SITEMAP_LIMIT
    async with services(request).db.read() as conn:
        releases = await archive.release_changes(conn, offset, SITEMAP_LIMIT)
        closed = await archive.closed_hotlines(conn) if with_pages else []
        newest = await archive.newest_change(conn)
    urls: list[tuple[str, str | None]] = []
    if with_pages:
        urls.append((absolute(request, "/"), _w3c(newest)))
        urls.append((absolute(request, "/hotlines"), _w3c(_last_closed(closed))))
        urls += [
            (absolute(request, f"/hotlines/{c.hotline.id}"), _w3c(_ended(c.hotline)))
            for c in closed
        ]
    urls += [(absolute(request, f"/releases/{i}"), _w3c(when)) for i, when in releases]
    body = render_text(request, "public/sitemap.xml", urls=urls)
    return web.Response(text=body, content_type=XML, charset="utf-8")


def _ended(hotline: Hotline) -> datetime:
    """Its planned end, or now for one closed early: a lastmod is never in the future."""
    return min(hotline.ends_at, utcnow())


def _last_closed(closed: list[archive.ClosedHotline]) -> datetime | None:
    return max((_ended(c.hotline) for c in closed), default=None)
