"""The archive of releases, its search, and a page per release."""

from __future__ import annotations

from aiohttp import web

from shared.domain import MediaKind
from web import archive, search
from web.public.common import page_number, page_size, path_id, services
from web.richhtml import excerpt, to_html
from web.templating import absolute, file_path, render

MAX_QUERY = 200


async def archive_page(request: web.Request) -> web.Response:
    async with services(request).db.read() as conn:
        page = await archive.releases(conn, page_number(request), page_size(request))
    return render(request, "public/archive.html", page=page, query="", excerpt=excerpt)


async def search_page(request: web.Request) -> web.Response:
    query = request.query.get("q", "").strip()[:MAX_QUERY]
    if not search.words(query):
        return render(request, "public/search.html", page=None, query=query, excerpt=excerpt)
    async with services(request).db.read() as conn:
        page = await archive.found(conn, query, page_number(request), page_size(request))
    return render(request, "public/search.html", page=page, query=query, excerpt=excerpt)


async def release_page(request: web.Request) -> web.Response:
    post_id = path_id(request)
    async with services(request).db.read() as conn:
        post = await archive.release(conn, post_id)
        if post is None:
            raise web.HTTPNotFound()
        files = await archive.files(conn, post_id)
        links = await archive.links(conn, post_id)
    photos = [f for f in files if f.kind == MediaKind.PHOTO]
    documents = [f for f in files if f.kind != MediaKind.PHOTO]
    return render(
        request,
        "public/release.html",
        post=post,
        body=to_html(post.body),
        summary=excerpt(post.body, 200),
        photos=photos,
        documents=documents,
        links=links,
        canonical=absolute(request, f"/releases/{post.id}"),
        og_image=absolute(request, file_path(photos[0])) if photos else None,
    )
