"""Closed hotlines and the answers the office chose to publish.

The questions shown are the digest's: marked for publication and answered, each with its
last answer that has text, the citizen unnamed and their photos left out. Their text is
cleaned as the digest cleans it for print (a control character, Word's vertical tab for a
line break among them, becomes a space), so the words around it stay apart.
"""

from __future__ import annotations

from dataclasses import replace

from aiohttp import web

from shared.hotlines import digest
from shared.hotlines.campaigns import Hotline
from web import archive
from web.public.common import path_id, services
from web.templating import render


def _printed(hotline: Hotline) -> Hotline:
    return replace(
        hotline, topic=digest.clean(hotline.topic), description=digest.clean(hotline.description)
    )


async def listing(request: web.Request) -> web.Response:
    async with services(request).db.read() as conn:
        closed = await archive.closed_hotlines(conn)
    closed = [replace(item, hotline=_printed(item.hotline)) for item in closed]
    return render(request, "public/hotlines.html", closed=closed)


async def hotline_page(request: web.Request) -> web.Response:
    async with services(request).db.read() as conn:
        hotline = await archive.closed_hotline(conn, path_id(request))
        if hotline is None:
            raise web.HTTPNotFound()
        entries = (await digest.collect(conn, hotline.id)).entries
    entries = [
        replace(entry, question=digest.clean(entry.question), answer=digest.clean(entry.answer))
        for entry in entries
    ]
    return render(request, "public/hotline.html", hotline=_printed(hotline), entries=entries)
