"""Closed hotlines and the answers the office chose to publish.

The questions shown are the digest's: marked for publication and answered, each with its
last answer, the citizen unnamed and their photos left out.
"""

from __future__ import annotations

from aiohttp import web

from shared.hotlines import digest
from web import archive
from web.public.common import path_id, services
from web.templating import render


async def listing(request: web.Request) -> web.Response:
    async with services(request).db.read() as conn:
        closed = await archive.closed_hotlines(conn)
    return render(request, "public/hotlines.html", closed=closed)


async def hotline_page(request: web.Request) -> web.Response:
    async with services(request).db.read() as conn:
        hotline = await archive.closed_hotline(conn, path_id(request))
        if hotline is None:
            raise web.HTTPNotFound()
        entries = (await digest.collect(conn, hotline.id)).entries
    return render(request, "public/hotline.html", hotline=hotline, entries=entries)
