"""The public pages: no login, nothing but what the office has published."""

from __future__ import annotations

from aiohttp import web

from web.public import crawlers, feeds, files, hotlines, releases


def setup(app: web.Application) -> None:
    app.router.add_get("/", releases.archive_page, name="archive")
    app.router.add_get("/search", releases.search_page, name="search")
    app.router.add_get(r"/releases/{id:\d+}", releases.release_page, name="release")
    app.router.add_get(r"/files/{id:\d+}/{name}", files.download, name="file")
    app.router.add_get("/feed.rss", feeds.rss, name="rss")
    app.router.add_get("/feed.atom", feeds.atom, name="atom")
    app.router.add_get("/hotlines", hotlines.listing, name="hotlines")
    app.router.add_get(r"/hotlines/{id:\d+}", hotlines.hotline_page, name="hotline")
    app.router.add_get("/robots.txt", crawlers.robots, name="robots")
    app.router.add_get("/sitemap.xml", crawlers.sitemap, name="sitemap")
    app.router.add_get(r"/sitemap-{n:\d{1,6}}.xml", crawlers.sitemap_part, name="sitemap_part")
