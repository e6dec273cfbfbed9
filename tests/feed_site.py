"""A municipal website made in the test: feeds, photos and documents over real HTTP.

Feeds answer conditional GETs as a real server does: a matching ``If-None-Match`` or
``If-Modified-Since`` gets 304 Not Modified. Every request is logged with its headers.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from aiohttp import web
from PIL import Image

LAST_MODIFIED = "Mon, 30 Nov 2026 03:00:00 GMT"


def jpeg(width: int, height: int, color: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    """A real JPEG of the given size (sizes tell the photos apart on the platforms)."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "JPEG")
    return out.getvalue()


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (40, 40, 200)).save(out, "PNG")
    return out.getvalue()


@dataclass
class Resource:
    body: bytes
    content_type: str
    status: int = 200
    conditional: bool = False  # a feed: ETag / Last-Modified and 304 answers
    etag: str | None = None  # the feed's ETag; None: derived from the body
    chunked: bool = False  # sent without a Content-Length, as streamed pages are
    hold: asyncio.Event | None = None  # the answer waits for this (a hanging server)


@dataclass
class Site:
    base: str = ""
    resources: dict[str, Resource] = field(default_factory=dict)
    log: list[dict[str, Any]] = field(default_factory=list)

    def put(self, path: str, body: bytes | str, content_type: str, status: int = 200) -> str:
        data = body.encode() if isinstance(body, str) else body
        self.resources[unquote(path)] = Resource(data, content_type, status)
        return self.base + path

    def feed(
        self,
        path: str,
        xml: bytes | str,
        content_type: str = "application/rss+xml",
        etag: str | None = None,
    ) -> str:
        url = self.put(path, xml, content_type)
        self.resources[path].conditional = True
        self.resources[path].etag = etag
        return url

    def hits(self, path: str, status: int | None = None) -> int:
        return sum(
            1 for r in self.log if r["path"] == path and (status is None or r["status"] == status)
        )

    async def handle(self, request: web.Request) -> web.StreamResponse:
        resource = self.resources.get(request.path)
        entry: dict[str, Any] = {"path": request.path, "headers": dict(request.headers)}
        self.log.append(entry)
        if resource is None:
            entry["status"] = 404
            return web.Response(status=404, text="<html>Not found</html>", content_type="text/html")
        headers: dict[str, str] = {}
        if resource.conditional:
            etag = resource.etag or '"' + hashlib.sha256(resource.body).hexdigest()[:16] + '"'
            headers = {"ETag": etag, "Last-Modified": LAST_MODIFIED}
            if request.headers.get("If-None-Match") == etag:
                entry["status"] = 304
                return web.Response(status=304, headers=headers)
        entry["status"] = resource.status
        if resource.hold is not None:
            await resource.hold.wait()
        if resource.chunked:
            stream = web.StreamResponse(status=resource.status)
            stream.content_type = resource.content_type
            stream.enable_chunked_encoding()
            await stream.prepare(request)
            for start in range(0, len(resource.body), 4096):
                await stream.write(resource.body[start : start + 4096])
            await stream.write_eof()
            return stream
        return web.Response(
            body=resource.body,
            status=resource.status,
            headers={**headers, "Content-Type": resource.content_type},
        )


async def serve_site() -> AsyncIterator[Site]:
    site = Site()
    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", site.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    port = tcp._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    site.base = f"http://127.0.0.1:{port}"
    try:
        yield site
    finally:
        await runner.cleanup()
