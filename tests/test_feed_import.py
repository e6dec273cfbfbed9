"""Website feeds as municipal sites publish them, end to end: feed -> draft -> channel, wall.

Every feed, photo and document is made here and served over real HTTP on 127.0.0.1
(tests/feed_site.py); the app runs against the strict fake Telegram and VK servers.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bots.app import App
from shared.domain import PostKind, PostStatus
from shared.posts import repo, service
from shared.richtext import from_plain
from simulators.telegram import FakeTelegram
from simulators.vk import FakeVK
from tests.feed_site import Site, jpeg, png, serve_site
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

POLL = 0.01  # minutes: a poll every 0.6 s
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    async for served in serve_site():
        yield served


def settings(tmp_path: Path, tg: FakeTelegram, vk: FakeVK, **publishing: Any) -> Any:
    return post_settings(tmp_path, tg, vk, publishing={"feed_poll_minutes": POLL, **publishing})


async def publish(app: App, tg: FakeTelegram, preview: dict[str, Any], post_id: int) -> None:
    await remembered(app, preview)
    await press(tg, MODERATOR, preview, "Опубликовать сейчас")
    await wait_post(app, post_id, lambda p, _: p.status is PostStatus.PUBLISHED)


def channel_text(tg: FakeTelegram) -> str:
    return "\n".join(m.get("text") or m.get("caption") or "" for m in channel(tg))


def channel_html(tg: FakeTelegram) -> str:
    return "\n".join(m.get("raw_text") or m.get("raw_caption") or "" for m in channel(tg))


def channel_photos(tg: FakeTelegram) -> list[bytes]:
    """The original bytes of every photo on the channel, in order."""
    return [tg.file_bytes(m["photo"][-1]["file_id"]) or b"" for m in channel(tg) if m.get("photo")]


def wall_photo_sizes(vk: FakeVK, post: dict[str, Any]) -> list[tuple[int, int]]:
    photos = {f"photo{p['owner_id']}_{p['id']}": p for p in vk.photos()}
    return [(photos[a]["width"], photos[a]["height"]) for a in post["attachments"] if a in photos]


async def only_post(app: App) -> int:
    async with app.services.db.read() as conn:
        posts = await repo.recent(conn)
    assert len(posts) == 1, [p.title for p in posts]
    return posts[0].id


BITRIX = """<?xml version="1.0" encoding="windows-1251"?>
<rss version="2.0" xmlns:yandex="http://news.yandex.ru" xmlns:media="http://search.yahoo.com/mrss/">
<channel>
<title>Администрация города</title>
<link>{base}/</link>
<description>Новости администрации</description>
<item>
<title>Ремонт моста через Качу</title>
<link>{base}/news/1205/</link>
<guid>{base}/news/1205/</guid>
<description><![CDATA[Коротко: тизер новости]]></description>
<yandex:full-text><![CDATA[<p>С 1 декабря мост через Качу <b>закрывается на ремонт</b>.</p>
<p>Объезд по улице <i>Ленина</i>; схема — в <a href="/upload/scheme.pdf">приложении</a>.</p>
<ul><li>автобусы № 3 и 5 идут в объезд;</li><li>пешеходный проход открыт.</li></ul>
]]></yandex:full-text>
<enclosure url="{base}/upload/iblock/bridge.jpg" length="5000" type="image/jpeg"/>
<enclosure url="{base}/upload/iblock/order.pdf" length="500" type="application/pdf"/>
<category>Новости</category>
<pubDate>Mon, 30 Nov 2026 10:00:00 +0700</pubDate>
</item>
</channel>
</rss>"""


async def test_bitrix_windows1251_full_text_enclosure_and_document(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK, site: Site
) -> None:
    photo = jpeg(320, 200)
    site.put("/upload/iblock/bridge.jpg", photo, "image/jpeg")
    site.put("/upload/iblock/order.pdf", PDF, "application/pdf")
    url = site.feed(
        "/rss.php",
        BITRIX.format(base=site.base).encode("cp1251"),
        "application/rss+xml; charset=windows-1251",
    )
    async with running_app(settings(tmp_path, tg, vk, feed_url=url)) as app:
        preview = await wait_admin(tg, "Ремонт моста через Качу")
        text = preview["text"]
        assert "черновик" in text
        assert "С 1 декабря мост через Качу закрывается на ремонт." in text
        assert "• автобусы № 3 и 5 идут в объезд;" in text
        assert "тизер" not in text
        assert "фото — 1, документы — 1" in text
        post_id = await only_post(app)
        await publish(app, tg, preview, post_id)
    assert channel_photos(tg) == [photo]
    assert "<b>закрывается на ремонт</b>" in channel_html(tg)
    assert "<i>Ленина</i>" in channel_html(tg)
    assert f'<a href="{site.base}/upload/scheme.pdf">приложении</a>' in channel_html(tg)
    assert "тизер" not in channel_text(tg)
    docs = [m for m in channel(tg) if m.get("document")]
    assert [d["document"]["file_name"] for d in docs] == ["order.pdf"]
    [wall] = vk.wall_posts()
    assert "С 1 декабря мост через Качу закрывается на ремонт." in wall["message"]
    assert f"приложении ({site.base}/upload/scheme.pdf)" in wall["message"]
    assert "тизер" not in wall["message"]
    assert wall_photo_sizes(vk, wall) == [(320, 200)]
    assert any(a.startswith("doc") for a in wall["attachments"])


DZEN = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:media="http://search.yahoo.com/mrss/">
<channel>
<title>Город</title><link>{base}/</link><description>Новости</description>
<item>
<title>Открыт новый сквер</title>
<link>{base}/news/skver</link>
<guid isPermaLink="false">skver-2026</guid>
<description>Короткий анонс.</description>
<media:content url="{base}/img/lead.jpg" type="image/jpeg" medium="image"/>
<media:thumbnail url="{base}/img/lead-small.jpg"/>
<content:encoded><![CDATA[
<p>В микрорайоне Северный открыт <strong>новый сквер</strong>.</p>
<figure><img src="/img/one.jpg" alt=""><figcaption>Вид со стороны улицы</figcaption></figure>
<p>Здесь высажено 120 деревьев.</p>
<img src="{base}/img/lead.jpg">
<img src="two.jpg">
<ol><li>детская площадка;</li><li>велодорожка.</li></ol>
]]></content:encoded>
</item>
</channel>
</rss>"""


async def test_dzen_content_encoded_inline_images_and_media_content(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK, site: Site
) -> None:
    lead, one, two = jpeg(300, 200), jpeg(310, 200, (0, 90, 0)), jpeg(320, 210, (0, 0, 90))
    site.put("/img/lead.jpg", lead, "image/jpeg")
    site.put("/img/one.jpg", one, "image/jpeg")
    site.put("/news/two.jpg", two, "image/jpeg")  # relative to the item's link
    url = site.feed("/zen.xml", DZEN.format(base=site.base))
    async with running_app(settings(tmp_path, tg, vk, feed_url=url)) as app:
        preview = await wait_admin(tg, "Открыт новый сквер")
        text = preview["text"]
        assert "В микрорайоне Северный открыт новый сквер." in text
        assert "Вид со стороны улицы" in text
        assert "1. детская площадка;\n2. велодорожка." in text
        assert "Короткий анонс" not in text
        assert "фото — 3, документы — 0" in text
        post_id = await only_post(app)
        await publish(app, tg, preview, post_id)
    assert channel_photos(tg) == [lead, one, two]
    assert site.hits("/img/lead-small.jpg") == 0, "a thumbnail is not a second photo"
    assert site.hits("/img/lead.jpg") == 1, "a photo named twice is fetched once"
    assert "<b>новый сквер</b>" in channel_html(tg)
    [wall] = vk.wall_posts()
    assert wall_photo_sizes(vk, wall) == [(300, 200), (310, 200), (320, 210)]
    assert "Здесь высажено 120 деревьев." in wall["message"]


ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
<title>Администрация района</title>
<id>urn:uuid:town-news</id>
<updated>2026-11-30T03:00:00Z</updated>
<link href="{base}/"/>
<entry>
<title>Приём граждан главой района</title>
<id>urn:uuid:reception-12</id>
<updated>2026-11-30T03:00:00Z</updated>
<link rel="alternate" href="{base}/news/reception"/>
<link rel="enclosure" type="image/png" href="{base}/files/head.png"/>
<category term="Новости" />
<summary>Анонс приёма.</summary>
<content type="html">&lt;p&gt;Глава района проведёт
&lt;em&gt;личный приём&lt;/em&gt; 3 декабря.&lt;/p&gt;
&lt;p&gt;Запись по телефону.&lt;/p&gt;</content>
</entry>
</feed>"""


async def test_atom_feed(tmp_path: Path, tg: FakeTelegram, vk: FakeVK, site: Site) -> None:
    head = png(200, 150)
    site.put("/files/head.png", head, "image/png")
    url = site.feed("/atom.xml", ATOM.format(base=site.base), "application/atom+xml")
    async with running_app(settings(tmp_path, tg, vk, feed_url=url)) as app:
        preview = await wait_admin(tg, "Приём граждан главой района")
        text = preview["text"]
        assert "Глава района проведёт личный приём 3 декабря.\n\nЗапись по телефону." in text
        assert "Анонс приёма" not in text
        assert "фото — 1, документы — 0" in text
        post_id = await only_post(app)
        await publish(app, tg, preview, post_id)
    assert channel_photos(tg) == [head]
    assert "<i>личный приём</i>" in channel_html(tg)
    assert f"Читать на сайте ({site.base}/news/reception)" in vk.wall_posts()[0]["message"]
    assert wall_photo_sizes(vk, vk.wall_posts()[0]) == [(200, 150)]


BROKEN_PHOTOS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Сайт</title><link>{base}/</link><description>d</description>
<item>
<title>Субботник в парке</title>
<link>{base}/news/park</link>
<guid>park-1</guid>
<enclosure url="{base}/upload/gone.jpg" type="image/jpeg" length="100"/>
<enclosure url="{base}/upload/page.jpg" type="image/jpeg" length="100"/>
<enclosure url="{base}/upload/good.jpg" type="image/jpeg" length="100"/>
<description>&lt;p&gt;В субботу прошёл субботник.&lt;/p&gt;</description>
</item>
</channel></rss>"""


async def test_photo_that_fails_is_named_in_the_preview(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK, site: Site
) -> None:
    good = jpeg(330, 220)
    site.put("/upload/good.jpg", good, "image/jpeg")
    # A CMS's error page, served with an image's address and even an image's type.
    site.put("/upload/page.jpg", "<html><body>Файл не найден</body></html>", "image/jpeg")
    url = site.feed("/news.rss", BROKEN_PHOTOS.format(base=site.base))
    async with running_app(settings(tmp_path, tg, vk, feed_url=url)) as app:
        preview = await wait_admin(tg, "С сайта не загружено:")
        text = preview["text"]
        assert f"{site.base}/upload/gone.jpg — сайт ответил ошибкой HTTP 404" in text
        assert f"{site.base}/upload/page.jpg — это не изображение" in text
        assert "В субботу прошёл субботник." in text
        assert "фото — 1, документы — 0" in text
        post_id = await only_post(app)
        await publish(app, tg, preview, post_id)
        settled = await wait_admin(tg, "опубликован")
        assert f"{site.base}/upload/gone.jpg" in settled["text"], "still named after publishing"
    assert channel_photos(tg) == [good]
    assert wall_photo_sizes(vk, vk.wall_posts()[0]) == [(330, 220)]


async def test_an_infographic_too_tall_for_the_platforms_is_named_not_the_item_lost(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK, site: Site
) -> None:
    """600×12500: Telegram and VK take no picture 20 times longer than wide."""
    site.put("/upload/info.jpg", jpeg(600, 12500), "image/jpeg")
    item = (
        "<item><guid>1</guid><title>Инфографика бюджета</title>"
        "<description>Бюджет города в цифрах.</description>"
        f'<enclosure url="{site.base}/upload/info.jpg" type="image/jpeg" length="1"/></item>'
    )
    url = site.feed("/news.rss", rss(item))
    async with running_app(settings(tmp_path, tg, vk, feed_url=url)) as app:
        preview = await wait_admin(tg, "С сайта не загружено:")
        assert (
            f"{site.base}/upload/info.jpg — фото 600×12500 пикселей вытянуто сильнее, "
            "чем принимают площадки" in preview["text"]
        )
        assert "Площадки: Telegram, VK" in preview["text"]
        await publish(app, tg, preview, await only_post(app))
        await tg.wait_for(lambda: site.hits("/news.rss", 304) >= 1, timeout=10)
    assert "Бюджет города в цифрах." in channel_text(tg)
    assert not channel_photos(tg)
    assert site.hits("/upload/info.jpg") == 1, "downloaded once, with the item"


def news_item(guid: str, title: str, text: str, category: str | None) -> str:
    tag = f"<category>{category}</category>" if category else ""
    return (
        f"<item><guid>{guid}</guid><title>{title}</title>{tag}"
        f"<description>{text}</description></item>"
    )


def rss(*items: str) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        "<link>https://town.example/</link><description>d</description>"
        + "".join(items)
        + "</channel></rss>"
    )


async def test_categories_exclude_and_kinds_on_several_feeds(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK, site: Site
) -> None:
    news = site.feed(
        "/news.rss",
        rss(
            news_item("1", "Новость дня", "Текст новости", "Новости"),
            news_item("2", "Аукцион на аренду", "Лот 1", "Аукционы"),
            news_item("3", "Без рубрики", "Текст", None),
        ),
    )
    notices = site.feed(
        "/notices.rss",
        rss(news_item("1", "Извещение о слушаниях", "Слушания 5 декабря", "Извещения")),
    )
    publishing = {
        "feed_urls": f"{news}, {notices}",
        "feed_exclude_categories": "аукционы",
        "feed_category_kinds": "Извещения=notice",
    }
    async with running_app(settings(tmp_path, tg, vk, **publishing)) as app:
        await wait_admin(tg, "Новость дня")
        await wait_admin(tg, "Без рубрики")
        await wait_admin(tg, "Извещение о слушаниях")
        await tg.wait_for(lambda: site.hits("/notices.rss", 304) >= 1, timeout=10)
        await tg.wait_for(lambda: site.hits("/news.rss", 304) >= 1, timeout=10)
        async with app.services.db.read() as conn:
            posts = {p.title: p for p in await repo.recent(conn)}
    assert set(posts) == {"Новость дня", "Без рубрики", "Извещение о слушаниях"}
    assert posts["Извещение о слушаниях"].kind is PostKind.NOTICE
    assert posts["Новость дня"].kind is PostKind.PRESS_RELEASE
    assert not any("Аукцион" in (m.get("text") or "") for m in tg.messages())


async def test_include_list_takes_only_its_categories(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK, site: Site
) -> None:
    url = site.feed(
        "/news.rss",
        rss(
            news_item("1", "Новость дня", "Текст новости", "Новости"),
            news_item("2", "Аукцион на аренду", "Лот 1", "Аукционы"),
            news_item("3", "Без рубрики", "Текст", None),
        ),
    )
    publishing = {"feed_url": url, "feed_categories": "Новости"}
    async with running_app(settings(tmp_path, tg, vk, **publishing)) as app:
        await wait_admin(tg, "Новость дня")
        await tg.wait_for(lambda: site.hits("/news.rss", 304) >= 1, timeout=10)
        async with app.services.db.read() as conn:
            titles = [p.title for p in await repo.recent(conn)]
    assert titles == ["Новость дня"]


async def test_changed_item_updates_its_draft_but_not_a_published_post(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK, site: Site
) -> None:
    url = site.feed(
        "/news.rss",
        rss(
            news_item("a", "Черновик", "Первая редакция черновика", None),
            news_item("b", "Опубликованная", "Первая редакция поста", None),
        ),
    )
    async with running_app(settings(tmp_path, tg, vk, feed_url=url)) as app:
        draft_preview = await wait_admin(tg, "Первая редакция черновика")
        published_preview = await wait_admin(tg, "Первая редакция поста")
        async with app.services.db.read() as conn:
            ids = {p.title: p.id for p in await repo.recent(conn)}
        await publish(app, tg, published_preview, ids["Опубликованная"])
        [channel_post] = channel(tg)
        site.feed(
            "/news.rss",
            rss(
                news_item("a", "Черновик", "Вторая редакция черновика", None),
                news_item("b", "Опубликованная", "Вторая редакция поста", None),
            ),
        )
        await wait_admin(tg, "Сайт изменил новость «Черновик»: черновик обновлён.")
        told = await wait_admin(
            tg, "Сайт изменил новость «Опубликованная», а пост уже не черновик (опубликован)"
        )
        chat, preview_id = draft_preview["chat"]["id"], draft_preview["message_id"]
        await tg.wait_for(
            lambda: (
                "Вторая редакция черновика" in (tg.message(chat, preview_id) or {}).get("text", "")
            ),
            timeout=10,
        )
        post, _ = await wait_post(app, ids["Черновик"], lambda p, _: p.version > 1)
        assert post.status is PostStatus.DRAFT
        assert "Вторая редакция черновика" in post.body.plain
        assert told["reply_to_message"]["message_id"] == published_preview["message_id"]
        published, _ = await wait_post(app, ids["Опубликованная"], lambda p, _: True)
        assert "Первая редакция поста" in published.body.plain
        hits = site.hits("/news.rss", 304)
        await tg.wait_for(lambda: site.hits("/news.rss", 304) >= hits + 2, timeout=10)
    assert tg.message(channel_post["chat"]["id"], channel_post["message_id"])["edits"] == 0
    assert "Первая редакция поста" in channel_text(tg)
    assert not vk.wall_posts()[0].get("edits")
    notices = [m for m in tg.messages() if "Сайт изменил новость" in (m.get("text") or "")]
    assert len(notices) == 2, "each change is told once"


async def test_not_modified_imports_nothing(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK, site: Site
) -> None:
    first = news_item("1", "Первая", "Текст", None)
    second = news_item("2", "Вторая", "Текст", None)
    url = site.feed("/news.rss", rss(first), etag='"v1"')
    async with running_app(settings(tmp_path, tg, vk, feed_url=url)) as app:
        await wait_admin(tg, "Первая")
        # The site has a new item but still says "not modified": a 304 imports nothing.
        site.feed("/news.rss", rss(second, first), etag='"v1"')
        hits = site.hits("/news.rss", 304)
        await tg.wait_for(lambda: site.hits("/news.rss", 304) >= hits + 2, timeout=10)
        async with app.services.db.read() as conn:
            assert [p.title for p in await repo.recent(conn)] == ["Первая"]
        assert site.hits("/news.rss", 200) == 1
        conditional = [r["headers"] for r in site.log if r["status"] == 304]
        assert all(h.get("If-None-Match") == '"v1"' for h in conditional)
        assert all("If-Modified-Since" in h for h in conditional)
        site.feed("/news.rss", rss(second, first), etag='"v2"')
        await wait_admin(tg, "Вторая")
        async with app.services.db.read() as conn:
            assert sorted(p.title or "" for p in await repo.recent(conn)) == ["Вторая", "Первая"]


async def test_items_imported_before_feeds_were_remembered_are_not_drafted_again(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK, site: Site
) -> None:
    """An upgrade keeps the posts the single-feed import made (known by their guid)."""
    async with running_app(settings(tmp_path, tg, vk)) as app:
        old = await service.create(
            app.services,
            body=from_plain("Текст"),
            title="Старая",
            created_by="feed",
            draft=True,
            source_guid="news-1",
        )
        await wait_admin(tg, "Старая")
    url = site.feed("/news.rss", rss(news_item("news-1", "Старая", "Текст", None)))
    async with running_app(settings(tmp_path, tg, vk, feed_url=url)) as app:
        await tg.wait_for(lambda: site.hits("/news.rss", 304) >= 1, timeout=10)
        async with app.services.db.read() as conn:
            assert [p.id for p in await repo.recent(conn)] == [old]
        site.feed("/news.rss", rss(news_item("news-1", "Старая", "Новый текст", None)))
        await wait_admin(tg, "Сайт изменил новость «Старая»: черновик обновлён.")


async def test_a_broken_feed_does_not_stop_the_others(
    tmp_path: Path,
    tg: FakeTelegram,
    vk: FakeVK,
    site: Site,
    caplog: pytest.LogCaptureFixture,
) -> None:
    site.put("/broken.rss", "oops", "text/plain", status=500)
    broken = site.base + "/broken.rss?key=site-secret"
    good = site.feed("/news.rss", rss(news_item("1", "Хорошая лента", "Текст", None)))
    caplog.set_level(logging.WARNING, logger="shared.posts.feed")
    async with running_app(settings(tmp_path, tg, vk, feed_urls=f"{broken},{good}")):
        await wait_admin(tg, "Хорошая лента")
        await tg.wait_for(lambda: site.hits("/broken.rss") >= 2, timeout=10)
    failures = [r.getMessage() for r in caplog.records if "poll failed" in r.getMessage()]
    assert failures
    assert all(f"{site.base}/broken.rss (ClientResponseError: HTTP 500)" in f for f in failures)
    assert not any("site-secret" in r.getMessage() for r in caplog.records)


async def test_an_article_too_long_for_the_wall_is_drafted_for_the_channel(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK, site: Site
) -> None:
    paragraphs = "".join(
        f"&lt;p&gt;Абзац {i}: " + "решение о бюджете города " * 40 + "&lt;/p&gt;" for i in range(20)
    )
    item = (
        "<item><guid>budget</guid><title>Бюджет на 2027 год</title>"
        f"<description>{paragraphs}</description></item>"
    )
    url = site.feed("/news.rss", rss(item))
    async with running_app(settings(tmp_path, tg, vk, feed_url=url)) as app:
        preview = await wait_admin(tg, "а можно не больше 16 384")
        assert "Площадки: Telegram\n" in preview["text"]
        assert "ВКонтакте: текст поста" in preview["text"]
        post_id = await only_post(app)
        await publish(app, tg, preview, post_id)
    assert "Абзац 19: решение о бюджете" in channel_text(tg)
    assert not vk.wall_posts()
