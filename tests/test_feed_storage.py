"""The feeds' remembered state on both engines: validators, items by feed and key, notes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from shared.clock import utcnow
from shared.domain import PostKind, PostStatus
from shared.posts import repo
from shared.posts.feed import FeedPlanner, store
from shared.richtext import from_plain
from shared.services import Services
from shared.storage.engine import Database
from shared.texts import Texts
from simulators.telegram import FakeTelegram
from simulators.vk import FakeVK
from simulators.waiting import wait
from tests.feed_site import Site, jpeg, serve_site
from tests.harness import settings_for


def services_on(db: Database, tmp_path: Path, **publishing: object) -> Services:
    # The fakes only lend their addresses and tokens to the settings: nothing is sent.
    with FakeTelegram() as tg, FakeVK() as vk:
        settings = settings_for(tmp_path, tg, vk, overrides={"publishing": publishing})
    return Services(settings=settings, db=db, texts=Texts.load())


async def a_post(db: Database, title: str) -> int:
    async with db.write() as conn:
        return await repo.insert(
            conn,
            title=title,
            body=from_plain("текст"),
            kind=PostKind.PRESS_RELEASE,
            status=PostStatus.DRAFT,
            platforms=["telegram"],
            scheduled_at=None,
            created_by="feed",
        )


async def test_feed_state_per_feed(db: Database) -> None:
    first, second = await a_post(db, "один"), await a_post(db, "два")
    async with db.write() as conn:
        news = await store.source(conn, "https://town.example/news.rss")
        again = await store.source(conn, "https://town.example/news.rss")
        notices = await store.source(conn, "https://town.example/notices.rss")
        assert again == news
        assert notices.id != news.id
        assert (news.etag, news.last_modified) == (None, None)
        await store.set_validators(conn, news.id, '"v1"', "Mon, 30 Nov 2026 03:00:00 GMT")
        failed = [{"url": "https://town.example/a.jpg", "failure": "http", "detail": "404"}]
        await store.remember(conn, news.id, "1", first, "hash-1", failed)
        await store.remember(conn, notices.id, "1", second, "hash-2", [])
    async with db.write() as conn:
        news = await store.source(conn, "https://town.example/news.rss")
        assert (news.etag, news.last_modified) == ('"v1"', "Mon, 30 Nov 2026 03:00:00 GMT")
        known = await store.known(conn, news.id, "1")
        assert known is not None
        assert (known.post_id, known.content_hash) == (first, "hash-1")
        other = await store.known(conn, notices.id, "1")
        assert other is not None
        assert other.post_id == second, "the same guid in another feed is another item"
        assert await store.known(conn, news.id, "2") is None
        await store.set_hash(conn, known.id, "hash-3")
        assert await store.missing_files(conn, first) == failed
        assert await store.missing_files(conn, second) == []
    async with db.read() as conn:
        changed = await store.known(conn, news.id, "1")
        assert changed is not None
        assert changed.content_hash == "hash-3"


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    async for served in serve_site():
        yield served


async def test_polls_that_overlap_draft_an_item_once(
    db: Database, tmp_path: Path, site: Site
) -> None:
    """A poll slower than the interval (a hanging photo) meets the next wake-up."""
    hold = asyncio.Event()
    photo = site.put("/slow.jpg", jpeg(50, 50), "image/jpeg")
    site.resources["/slow.jpg"].hold = hold
    url = site.feed(
        "/news.rss",
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        f'<item><guid>1</guid><title>Медленное фото</title><enclosure url="{photo}" '
        'type="image/jpeg" length="1"/><description>текст</description></item></channel></rss>',
    )
    services = services_on(db, tmp_path, feed_url=url, feed_poll_minutes=0)
    planner = FeedPlanner(services)
    first = asyncio.create_task(planner.run_due(utcnow()))
    await wait(lambda: site.hits("/slow.jpg") == 1, timeout=10)
    await planner.run_due(utcnow())
    await planner.run_due(utcnow())
    hold.set()
    await first
    async with db.read() as conn:
        posts = await repo.recent(conn)
    assert [p.title for p in posts] == ["Медленное фото"]
    assert site.hits("/news.rss") == 1
