"""The archive of releases, its search, and a page per release."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from shared.domain import MediaKind
from shared.posts.model import Post
from web import archive, search
from web.public.common import page_number, page_size, path_id, services
from web.richhtml import excerpt, to_html
from web.templating import absolute, file_path, headline, render

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
    canonical = absolute(request, f"/releases/{post.id}")
    images = [absolute(request, file_path(photo)) for photo in photos]
    summary = excerpt(post.body, 200)
    return render(
        request,
        "public/release.html",
        post=post,
        body=to_html(post.body),
        summary=summary,
        photos=photos,
        documents=documents,
        links=links,
        canonical=canonical,
        og_image=images[0] if images else None,
        structured=_structured(request, post, canonical, summary, images),
    )


def _structured(
    request: web.Request, post: Post, canonical: str, summary: str, images: list[str]
) -> dict[str, Any]:
    """schema.org's NewsArticle, which search engines read to show a release as news: its
    headline, date, picture and who published it."""
    found: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": headline(post, services(request).texts, services(request).settings.tz),
        "description": summary,
        "url": canonical,
        "mainEntityOfPage": canonical,
        "inLanguage": "ru",
        "publisher": {
            "@type": "GovernmentOrganization",
            "name": services(request).texts("web.site_name"),
            "url": absolute(request, "/"),
        },
    }
    if post.published_at is not None:
        found["datePublished"] = post.published_at.isoformat()
    if images:
        found["image"] = images
    return found
