"""Items of one feed that share a key (no guid and the same link, a guid used twice).

Small municipal sites link every notice to their news list and give no guid: each item is
drafted once, an unchanged feed tells the admin chat nothing, and the items keep being
told apart as the feed moves on (the older ones leave it, new ones with the same link come).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from shared.clock import utcnow
from shared.posts import repo
from shared.posts.feed import FeedPlanner, store
from shared.posts.feed.parse import parse_feed
from shared.services import Services
from shared.storage.engine import Database
from shared.storage.schema import outbox
from shared.texts import Texts
from simulators.telegram import FakeTelegram
from simulators.vk import FakeVK
from tests.feed_site import Site, serve_site
from tests.harness import settings_for
from tests.posts_harness import post_settings, running_app, wait_admin

NEWS = "https://town.example/news/"
CHANGED = "Сайт изменил новость"


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    async for served in serve_site():
        yield served


def rss(*items: str) -> str:
    """Newest first, as feeds list them."""
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        "<link>https://town.example/</link><description>d</description>"
        + "".join(items)
        + "</channel></rss>"
    )


def notice(title: str, text: str, guid: str | None = None) -> str:
    """An item linking to the news list, as every item of such a site does."""
    key = f"<guid>{guid}</guid>" if guid else f"<link>{NEWS}</link>"
    return f"<item>{key}<title>{title}</title><description>{text}</description></item>"


def test_items_sharing_a_key_get_keys_of_their_own_the_same_every_time() -> None:
    items = rss(
        notice("Слушания 3", "Текст три"),
        notice("Слушания 2", "Другой текст два"),
        notice("Слушания 2", "Текст два"),
        notice("Слушания 1", "Текст один"),
        notice("Слушания 1", "Текст один"),  # the same item twice
        "<item><link>https://town.example/news/9/</link><title>Своя</title></item>",
    )
    parsed = parse_feed(items.encode(), "https://town.example/rss", "Далее")
    assert [p.title for p in parsed] == [
        "Своя",
        "Слушания 1",
        "Слушания 2",
        "Слушания 2",
        "Слушания 3",
    ]
    keys = [p.key for p in parsed]
    assert keys[0] == "https://town.example/news/9/", "a key of its own is kept as it is"
    assert keys[1] == NEWS, "the oldest keeps the shared key (as remembered before)"
    assert len(set(keys)) == 5
    assert all(k.startswith(NEWS + "#") for k in keys[2:])
    again = parse_feed(items.encode(), "https://town.example/rss", "Далее")
    assert [p.key for p in again] == keys


def services_on(db: Database, tmp_path: Path, url: str) -> Services:
    # The fakes only lend their addresses and tokens to the settings: nothing is sent.
    with FakeTelegram() as tg, FakeVK() as vk:
        settings = settings_for(
            tmp_path, tg, vk, overrides={"publishing": {"feed_url": url, "feed_poll_minutes": 0}}
        )
    return Services(settings=settings, db=db, texts=Texts.load())


async def state(db: Database) -> tuple[dict[str, tuple[str, int]], int]:
    """Each post's title -> (its text, version), and how many 'site changed' notices."""
    async with db.read() as conn:
        posts = await repo.recent(conn)
        payloads = (await conn.execute(select(outbox.c.payload))).scalars().all()
    told = sum(1 for payload in payloads if CHANGED in str(payload))
    return {p.title or "": (p.body.plain, p.version) for p in posts}, told


async def test_items_sharing_a_link_as_the_feed_moves_on(
    db: Database, tmp_path: Path, site: Site
) -> None:
    a, b = notice("Слушания А", "Текст А"), notice("Слушания Б", "Текст Б")
    url = site.put("/news.rss", rss(b, a), "application/rss+xml")
    planner = FeedPlanner(services_on(db, tmp_path, url))

    await planner.run_due(utcnow())
    await planner.run_due(utcnow())  # the same feed again: nothing to tell
    drafts, told = await state(db)
    assert sorted(drafts) == ["Слушания А", "Слушания Б"]
    assert told == 0
    versions = {title: version for title, (_, version) in drafts.items()}

    # A later item's text changes: its own draft follows it.
    site.put("/news.rss", rss(notice("Слушания Б", "Текст Б, исправлен"), a), "application/rss+xml")
    await planner.run_due(utcnow())
    drafts, told = await state(db)
    assert "Текст Б, исправлен" in drafts["Слушания Б"][0]
    assert "Текст А" in drafts["Слушания А"][0]
    assert told == 1

    # The oldest leaves the feed and a new one comes: Б is still Б, В is new.
    c = notice("Слушания В", "Текст В")
    site.put("/news.rss", rss(c, notice("Слушания Б", "Текст Б, исправлен")), "application/rss+xml")
    await planner.run_due(utcnow())
    # All of them leave; a new one alone with the same link is not taken for А.
    site.put("/news.rss", rss(notice("Слушания Г", "Текст Г")), "application/rss+xml")
    await planner.run_due(utcnow())
    drafts, told = await state(db)
    assert sorted(drafts) == ["Слушания А", "Слушания Б", "Слушания В", "Слушания Г"]
    assert drafts["Слушания А"] == (
        "Текст А\n\nЧитать на сайте (https://town.example/news/)",
        versions["Слушания А"],
    )
    assert told == 1
    assert site.hits("/news.rss") == 5


async def test_a_guid_given_twice_drafts_both_and_mends_a_flipped_draft(
    db: Database, tmp_path: Path, site: Site
) -> None:
    """Before keys were told apart the second item kept rewriting the first one's draft:
    that draft is set back once, the second item gets its own, and then all is quiet."""
    first = notice("Новость", "Текст А", guid=NEWS)
    second = notice("Новость", "Текст Б", guid=NEWS)  # the same title: told by content
    url = site.put("/news.rss", rss(first), "application/rss+xml")
    planner = FeedPlanner(services_on(db, tmp_path, url))
    await planner.run_due(utcnow())
    # What the old import left: the shared key's draft rewritten with the second item.
    flipped = parse_feed(rss(second).encode(), url, "Читать на сайте")[0]
    async with db.write() as conn:
        source = await store.source(conn, url)
        known = await store.known(conn, source.id, NEWS)
        assert known is not None
        await store.set_hash(conn, known.id, flipped.content_hash)
        await repo.set_fields(conn, known.post_id, body=flipped.body)

    site.put("/news.rss", rss(second, first), "application/rss+xml")
    for _ in range(3):
        await planner.run_due(utcnow())
    async with db.read() as conn:
        texts = sorted(p.body.plain.split("\n")[0] for p in await repo.recent(conn))
    assert texts == ["Текст А", "Текст Б"]
    assert (await state(db))[1] == 1


def settings(tmp_path: Path, tg: FakeTelegram, vk: FakeVK, **publishing: Any) -> Any:
    return post_settings(tmp_path, tg, vk, publishing={"feed_poll_minutes": 0.01, **publishing})


async def test_notices_linking_to_the_news_list_are_each_drafted_once(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK, site: Site
) -> None:
    """Served without an ETag (as many rss.php are): every poll reads the whole feed."""
    url = site.put(
        "/news.rss",
        rss(
            notice("Извещение о слушаниях 2", "Слушания по проекту 2 пройдут 7 декабря."),
            notice("Извещение о слушаниях 1", "Слушания по проекту 1 пройдут 5 декабря."),
        ),
        "application/rss+xml",
    )
    async with running_app(settings(tmp_path, tg, vk, feed_url=url)) as app:
        await wait_admin(tg, "Слушания по проекту 1")
        await wait_admin(tg, "Слушания по проекту 2")
        hits = site.hits("/news.rss")
        await tg.wait_for(lambda: site.hits("/news.rss") >= hits + 4, timeout=15)
        async with app.services.db.read() as conn:
            posts = await repo.recent(conn)
    assert sorted(p.title or "" for p in posts) == [
        "Извещение о слушаниях 1",
        "Извещение о слушаниях 2",
    ]
    assert not [m for m in tg.messages() if CHANGED in (m.get("text") or "")]
