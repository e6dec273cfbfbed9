"""A published release's photos and documents, served from the media table."""

from __future__ import annotations

from aiohttp import web

from web import archive
from web.public.common import path_id, services
from web.templating import absolute, file_path

CACHE = "public, max-age=86400"
INLINE = ("image/jpeg", "image/png", "image/gif", "image/webp")
# A camera's JPEG with a second picture (MPO) is a JPEG to every browser; files stored
# before photos were typed from their JPEG nature still say image/mpo.
ALIASES = {"image/mpo": "image/jpeg"}


def served_mime(mime: str) -> str:
    """The type a stored file is served (and announced in the feeds) as."""
    return ALIASES.get(mime, mime)


async def download(request: web.Request) -> web.Response:
    async with services(request).db.read() as conn:
        item = await archive.public_file(conn, path_id(request))
    if item is None or item.data is None:
        raise web.HTTPNotFound()
    if request.match_info["name"] != item.filename:
        # The address's last part names the download: never any name but the file's own
        # (…/Приказ.exe would hand out our PDF under that name from the office's domain).
        raise web.HTTPMovedPermanently(absolute(request, file_path(item)))
    mime = served_mime(item.mime)
    mime = mime if mime in INLINE else "application/octet-stream"
    disposition = "inline" if mime in INLINE else "attachment"
    return web.Response(
        body=item.data,
        content_type=mime,
        headers={
            "Cache-Control": CACHE,
            "Content-Disposition": disposition,
            # A stored file is data: never a page that could run script in our origin.
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )
