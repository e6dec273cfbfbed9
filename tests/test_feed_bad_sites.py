"""A website that misbehaves: a feed cut off mid-output, an item that lost its text, a
feed far too large, a server that never answers. None of it may wipe a draft, tell the
admin chat of changes nobody made, stall the bot or hold its start up.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bots.app import App
from shared.posts import repo
from shared.posts.feed import planner as feed_planner
from shared.posts.feed.parse import read_feed
from simulators.telegram import FakeTelegram
from simulators.vk import FakeVK
from tests.feed_site import Site, serve_site
from tests.posts_harness import post_settings, running_app, wait_admin

CHANGED = "Сайт изменил новость"


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    async for served in serve_site():
        yield served


def settings(tmp_path: Path, tg: FakeTelegram, vk: FakeVK, **publishing: Any) -> Any:
    return post_settings(tmp_path, tg, vk, publishing={"feed_poll_minutes": 0.01, **publishing})


def rss(*items: str, namespaces: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0" {namespaces}><channel>'
        "<title>t</title><link>https://town.example/</link><description>d</description>"
        + "".join(items)
        + "</channel></rss>"
    )


def item(guid: str, title: str, text: str) -> str:
    return (
        f"<item><guid>{guid}</guid><title>{title}</title><description>{text}</description></item>"
    )


FIRST = item("n1", "Первая", "Длинный текст первой новости о ремонте дорог в микрорайоне.")
SECOND = item("n2", "Вторая", "Текст второй новости.")
THIRD = item("n3", "Третья", "Текст третьей новости.")


def cut_off(xml: str, at: str) -> str:
    """The feed as a PHP script that died at ``at`` leaves it: an error page's tail."""
    return xml[: xml.index(at)] + "<br />\n<b>Fatal error</b>: Allowed memory size exhausted"


def told(tg: FakeTelegram) -> list[str]:
    return [m["text"] for m in tg.messages() if CHANGED in (m.get("text") or "")]


async def bodies(app: App) -> dict[str, str]:
    async with app.services.db.read() as conn:
        return {p.title or "": p.body.plain for p in await repo.recent(conn)}


def test_a_feed_that_is_not_well_formed_is_marked_and_its_last_item_left_out() -> None:
    whole = rss(THIRD, SECOND, FIRST)
    feed = read_feed(cut_off(whole, "о ремонте").encode(), "https://t.example/", "Далее")
    assert feed.broken is not None
    assert [i.title for i in feed.items] == ["Вторая", "Третья"]
    assert read_feed(whole.encode(), "https://t.example/", "Далее").broken is None
    # What feedparser also calls "bozo" while the XML is whole: served as text/html, a
    # prefix never declared (some Bitrix sites forget xmlns:yandex), windows-1251 by HTTP.
    full_text = "<item><guid>g</guid><title>Т</title><yandex:full-text>x</yandex:full-text></item>"
    assert read_feed(whole.encode(), "https://t.example/", "Далее", "text/html").broken is None
    undeclared = read_feed(rss(full_text, SECOND).encode(), "https://t.example/", "Далее")
    assert undeclared.broken is None
    assert len(undeclared.items) == 2
    bare = ('<rss version="2.0"><channel><title>t</title>' + SECOND + "</channel></rss>").encode(
        "cp1251"
    )
    charset = read_feed(bare, "https://t.example/", "Далее", "text/xml; charset=windows-1251")
    assert charset.broken is None
    assert charset.items[0].title == "Вторая"
    # ... and a prefix never declared does not hide a cut-off.
    cut = cut_off(rss(SECOND, full_text, FIRST), "о ремонте")
    assert read_feed(cut.encode(), "https://t.example/", "Далее").broken is not None


async def test_a_cut_off_feed_changes_no_draft_and_its_whole_new_items_are_taken(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK, site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    url = site.feed("/news.rss", rss(SECOND, FIRST), etag='"v1"')
    caplog.set_level(logging.WARNING, logger="shared.posts.feed")
    async with running_app(settings(tmp_path, tg, vk, feed_url=url)) as app:
        await wait_admin(tg, "Текст второй новости.")
        await wait_admin(tg, "Длинный текст первой новости")
        before = await bodies(app)
        # rss.php dies in the middle of the oldest item; a new item made it out whole.
        site.feed("/news.rss", cut_off(rss(THIRD, SECOND, FIRST), "о ремонте"), etag='"v2"')
        await wait_admin(tg, "Текст третьей новости.")
        hits = site.hits("/news.rss")
        await tg.wait_for(lambda: site.hits("/news.rss") >= hits + 2, timeout=10)
        after = await bodies(app)
        assert {t: after[t] for t in before} == before
        assert sorted(after) == ["Вторая", "Первая", "Третья"]
        # The broken answer's ETag is not kept: the next poll reads the feed in full.
        assert site.log[-1]["headers"].get("If-None-Match") is None
    assert not told(tg)
    broken = [r.getMessage() for r in caplog.records if "not well-formed" in r.getMessage()]
    assert broken
    assert all(f"{site.base}/news.rss is not well-formed XML" in line for line in broken)


async def test_an_item_that_lost_its_text_does_not_empty_its_draft(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK, site: Site
) -> None:
    url = site.feed("/news.rss", rss(SECOND, FIRST))
    async with running_app(settings(tmp_path, tg, vk, feed_url=url)) as app:
        await wait_admin(tg, "Длинный текст первой новости")
        await wait_admin(tg, "Текст второй новости.")
        before = await bodies(app)
        emptied = item("n1", "Первая", "")
        site.feed("/news.rss", rss(SECOND, emptied))
        hits = site.hits("/news.rss")
        await tg.wait_for(lambda: site.hits("/news.rss") >= hits + 3, timeout=10)
        assert await bodies(app) == before
        assert not told(tg)
        # A real change still comes through.
        site.feed("/news.rss", rss(SECOND, item("n1", "Первая", "Исправленный текст.")))
        await wait_admin(tg, "Сайт изменил новость «Первая»: черновик обновлён.")
        assert "Исправленный текст." in (await bodies(app))["Первая"]


async def test_a_huge_feed_is_refused_with_one_line_and_parsing_is_off_the_event_loop(
    tmp_path: Path,
    tg: FakeTelegram,
    vk: FakeVK,
    site: Site,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    huge = rss(SECOND).replace("</channel>", " " * (21 * 1024 * 1024) + "</channel>")
    site.put("/huge.rss", huge, "application/rss+xml")
    good = site.feed("/news.rss", rss(SECOND))
    loop_thread = threading.get_ident()
    parsed_in: list[int] = []

    def watched(*args: Any) -> Any:
        parsed_in.append(threading.get_ident())
        return read_feed(*args)

    monkeypatch.setattr(feed_planner, "read_feed", watched)
    caplog.set_level(logging.WARNING, logger="shared.posts.feed")
    feeds = f"{site.base}/huge.rss,{good}"
    async with running_app(settings(tmp_path, tg, vk, feed_urls=feeds)) as app:
        await wait_admin(tg, "Текст второй новости.")
        await tg.wait_for(lambda: site.hits("/huge.rss") >= 2, timeout=10)
        assert sorted(await bodies(app)) == ["Вторая"]
    refused = [r.getMessage() for r in caplog.records if "huge.rss" in r.getMessage()]
    assert len(refused) >= 2
    assert all(
        "(FeedTooLarge: the answer is larger than 20 MB; not read)" in line for line in refused
    )
    assert parsed_in
    assert loop_thread not in parsed_in


async def test_a_feed_that_never_answers_does_not_hold_up_the_start(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK, site: Site
) -> None:
    """The feed's server takes the connection and says nothing (the fetch waits 20 s)."""
    url = site.feed("/news.rss", rss(SECOND))
    hold = site.resources["/news.rss"].hold = asyncio.Event()
    app = App(settings(tmp_path, tg, vk, feed_url=url))
    try:
        await asyncio.wait_for(app.start(), timeout=10)
        await tg.wait_for(lambda: site.hits("/news.rss") >= 1, timeout=10)
        assert app.services.settings.health_file.exists(), "the heartbeat is written"
        hold.set()
        await wait_admin(tg, "Текст второй новости.")  # the first poll goes on, once
        await tg.wait_for(lambda: site.hits("/news.rss", 304) >= 1, timeout=10)
        async with app.services.db.read() as conn:
            assert len(await repo.recent(conn)) == 1
    finally:
        hold.set()
        await app.stop()


async def test_a_feed_still_hanging_at_the_stop_is_ended_cleanly(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK, site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    url = site.feed("/news.rss", rss(SECOND))
    hold = site.resources["/news.rss"].hold = asyncio.Event()
    caplog.set_level(logging.WARNING)
    try:
        async with running_app(settings(tmp_path, tg, vk, feed_url=url)) as app:
            await tg.wait_for(lambda: site.hits("/news.rss") >= 1, timeout=10)
        assert app.scheduler is not None
        assert not app.scheduler.aps.running
    finally:
        hold.set()
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
