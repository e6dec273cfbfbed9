"""Import from the office's website feed, served by a local aiohttp server."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from shared.domain import PostStatus
from shared.posts import repo
from simulators.telegram import FakeTelegram
from simulators.vk import FakeVK
from simulators.waiting import wait
from tests.harness import MODERATOR
from tests.posts_harness import (
    channel,
    post_settings,
    press,
    remembered,
    running_app,
    wait_admin,
    wait_post,
)

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Администрация</title><link>https://town.example</link>
<description>Новости</description>
<item><guid>news-1</guid><title>Ремонт моста</title><link>https://town.example/news/1</link>
<description>&lt;p&gt;Мост закроют &lt;b&gt;на неделю&lt;/b&gt; &amp;amp; откроют.&lt;/p&gt;
</description></item>
<item><guid>news-2</guid><title>Публичные слушания</title><link>https://town.example/news/2</link>
<description>Слушания пройдут 1 декабря.</description></item>
</channel></rss>"""


class FeedServer:
    def __init__(self) -> None:
        self.body = "<<< this is not a feed"
        self.status = 200
        self.hits = 0

    async def handle(self, request: web.Request) -> web.Response:
        self.hits += 1
        return web.Response(text=self.body, status=self.status, content_type="application/rss+xml")


@pytest.fixture
async def feed() -> AsyncIterator[tuple[FeedServer, str]]:
    server = FeedServer()
    app = web.Application()
    app.router.add_get("/feed.xml", server.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield server, f"http://127.0.0.1:{port}/feed.xml"
    finally:
        await runner.cleanup()


async def test_broken_then_good_feed_becomes_drafts_with_previews(
    tmp_path: Path,
    tg: FakeTelegram,
    vk: FakeVK,
    feed: tuple[FeedServer, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    server, url = feed
    publishing = {"feed_url": url, "feed_poll_minutes": 0.01}
    caplog.set_level(logging.WARNING, logger="shared.posts.feed")
    async with running_app(post_settings(tmp_path, tg, vk, publishing=publishing)) as app:
        await tg.wait_for(lambda: server.hits >= 2, timeout=10)
        server.status = 500
        hits = server.hits
        await tg.wait_for(lambda: server.hits >= hits + 2, timeout=10)
        server.status = 200
        server.body = RSS
        preview = await wait_admin(tg, "Ремонт моста", timeout=10)
        await wait_admin(tg, "Публичные слушания")
        assert "черновик" in preview["text"]
        assert "Мост закроют на неделю & откроют." in preview["text"]
        hits = server.hits
        await tg.wait_for(lambda: server.hits >= hits + 2, timeout=10)
        async with app.services.db.read() as conn:
            posts = await repo.recent(conn)
        assert len(posts) == 2
        assert {p.status for p in posts} == {PostStatus.DRAFT}
        assert not channel(tg)
        assert not vk.wall_posts()
        await remembered(app, preview)
        await press(tg, MODERATOR, preview, "Опубликовать сейчас")
        post_id = next(p.id for p in posts if p.title == "Ремонт моста")
        await wait_post(app, post_id, lambda p, _: p.status is PostStatus.PUBLISHED)
        assert "Читать на сайте (https://town.example/news/1)" in vk.wall_posts()[0]["message"]
    failures = [r for r in caplog.records if "feed: poll failed" in r.getMessage()]
    assert len(failures) >= 2


async def test_autoschedule_publishes_feed_items(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK, feed: tuple[FeedServer, str]
) -> None:
    server, url = feed
    server.body = RSS
    publishing = {"feed_url": url, "feed_poll_minutes": 0.01, "feed_autoschedule": True}
    async with running_app(post_settings(tmp_path, tg, vk, publishing=publishing)) as app:

        async def imported() -> bool:  # the first poll runs after the start, not inside it
            async with app.services.db.read() as conn:
                return len(await repo.recent(conn)) == 2

        await wait(imported)
        await wait_post(app, 2, lambda p, _: p.status is PostStatus.PUBLISHED)
        await wait_post(app, 1, lambda p, _: p.status is PostStatus.PUBLISHED)
    assert len(vk.wall_posts()) == 2
