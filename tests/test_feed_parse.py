"""Feed items as the import reads them: text, photos, documents, keys, categories, settings."""

from __future__ import annotations

import pytest

from config import Settings
from shared.domain import PostKind
from shared.posts.feed.fetch import Failure
from shared.posts.feed.html import html_to_doc
from shared.posts.feed.parse import NotAFeed, parse_feed
from shared.posts.feed.photos import Missing
from shared.posts.feed.planner import kind_of, wanted
from shared.posts.feed.report import missing_lines_of
from shared.richtext import Block, Span
from shared.texts import Texts

BASE = "https://town.example/news/7/"


def rss(items: str, namespaces: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0" {namespaces}><channel>'
        f"<title>t</title><link>https://town.example/</link><description>d</description>"
        f"{items}</channel></rss>"
    ).encode()


MEDIA = 'xmlns:media="http://search.yahoo.com/mrss/"'
CONTENT = 'xmlns:content="http://purl.org/rss/1.0/modules/content/"'
YANDEX = 'xmlns:yandex="http://news.yandex.ru"'


def test_html_becomes_rich_text_not_one_paragraph() -> None:
    doc, images = html_to_doc(
        "Вступление <p>Первый <b>жирный <i>и курсив</i></b>.<br>Вторая строка</p>"
        '<div><p>См. <a href="../docs/order.pdf">приказ</a> <img src="/upload/a.jpg"></p></div>'
        '<ul><li>раз</li><li>два</li></ul><ol start="3"><li>три</li><li>четыре</li></ol>'
        "<h2>Итоги</h2><blockquote>Цитата</blockquote><table><tr><th>Дата</th><td>1.12</td>"
        "</tr></table><script>alert(1)</script><style>p{}</style>&laquo;ёлки&raquo; &amp; "
        '<a href="javascript:alert(1)">ссылка</a><img src="/upload/a.jpg"><img src="b.png">',
        BASE,
    )
    assert [b.kind for b in doc.blocks] == [
        "paragraph", "paragraph", "paragraph", "bullet", "bullet", "ordered", "ordered",
        "heading", "quote", "paragraph", "paragraph",
    ]  # fmt: skip
    assert doc.blocks[1].spans == (
        Span("Первый "),
        Span("жирный ", bold=True),
        Span("и курсив", bold=True, italic=True),
        Span(".\nВторая строка"),
    )
    assert doc.blocks[2].spans[1] == Span("приказ", link="https://town.example/news/docs/order.pdf")
    assert [b.number for b in doc.blocks[5:7]] == [3, 4]
    assert doc.blocks[9].text == "Дата | 1.12"
    assert doc.blocks[10] == Block("paragraph", (Span("«ёлки» & ссылка"),))
    assert "alert" not in doc.plain
    assert "p{}" not in doc.plain
    assert images == ["https://town.example/upload/a.jpg", "https://town.example/news/7/b.png"]


def test_a_list_numbered_from_no_ascii_number_starts_at_one() -> None:
    """``<ol start="²">`` (a site's typo): «²» is a digit to ``str.isdigit`` but no number."""
    for start in ("²", "١"):
        doc, _ = html_to_doc(f'<ol start="{start}"><li>три</li></ol>', BASE)
        assert [b.number for b in doc.blocks] == [1]


def test_full_text_wins_over_content_and_teaser() -> None:
    item = (
        "<item><guid>https://town.example/news/7/</guid><title>Т</title>"
        "<description>Коротко: тизер</description>"
        "<content:encoded><![CDATA[<p>Контент</p>]]></content:encoded>"
        "<yandex:full-text><![CDATA[<p>Полный текст</p>]]></yandex:full-text></item>"
    )
    [parsed] = parse_feed(rss(item, f"{YANDEX} {CONTENT}"), "https://town.example/rss", "Далее")
    assert parsed.body.plain == "Полный текст\n\nДалее (https://town.example/news/7/)"
    [parsed] = parse_feed(
        rss(
            item.replace(
                "<yandex:full-text><![CDATA[<p>Полный текст</p>]]></yandex:full-text>", ""
            ),
            CONTENT,
        ),
        "https://town.example/rss",
        "Далее",
    )
    assert parsed.body.plain.startswith("Контент")


def test_full_text_under_an_undeclared_prefix() -> None:
    """Some sites forget xmlns:yandex; feedparser's loose parser then keeps it escaped."""
    item = (
        "<item><guid>g</guid><title>Т</title><description>тизер</description>"
        "<yandex:full-text>&lt;p&gt;Первый &lt;b&gt;абзац&lt;/b&gt;&lt;/p&gt;"
        "&lt;p&gt;Второй&lt;/p&gt;</yandex:full-text></item>"
    )
    [parsed] = parse_feed(rss(item), "https://town.example/rss", "Далее")
    assert parsed.body.blocks[0].spans == (Span("Первый "), Span("абзац", bold=True))
    assert parsed.body.blocks[1].text == "Второй"


def test_windows_1251_from_the_declaration_or_the_http_charset() -> None:
    item = "<item><guid>1</guid><title>Ремонт</title><description>Текст</description></item>"
    declared = rss(item).replace(b"utf-8", b"windows-1251").decode().encode("cp1251")
    assert parse_feed(declared, "https://t.example/", "Далее")[0].title == "Ремонт"
    bare = ('<rss version="2.0"><channel><title>t</title>' + item + "</channel></rss>").encode(
        "cp1251"
    )
    headers = "text/xml; charset=windows-1251"
    assert parse_feed(bare, "https://t.example/", "Далее", headers)[0].title == "Ремонт"


def test_photos_in_order_once_thumbnail_only_as_a_last_resort_documents_by_type() -> None:
    item = (
        "<item><link>/news/7/</link><title>Т</title>"
        '<enclosure url="/upload/lead.jpg" type="image/jpeg" length="1"/>'
        '<enclosure url="/upload/order.pdf" type="application/pdf" length="1"/>'
        '<enclosure url="/upload/plan.docx" type="application/octet-stream" length="1"/>'
        '<enclosure url="/upload/clip.mp4" type="video/mp4" length="1"/>'
        '<media:content url="/upload/second.jpg" medium="image"/>'
        '<media:content url="/upload/movie.mp4" type="video/mp4"/>'
        '<media:thumbnail url="/upload/lead-small.jpg"/>'
        '<content:encoded><![CDATA[<img src="../../upload/lead.jpg"><img src="x.png">]]>'
        "</content:encoded></item>"
    )
    [parsed] = parse_feed(rss(item, f"{MEDIA} {CONTENT}"), "https://town.example/rss", "Далее")
    assert parsed.key == "https://town.example/news/7/"
    assert parsed.photos == (
        "https://town.example/upload/lead.jpg",
        "https://town.example/upload/second.jpg",
        "https://town.example/news/7/x.png",
    )
    assert parsed.documents == (
        "https://town.example/upload/order.pdf",
        "https://town.example/upload/plan.docx",
    )
    only_thumb = '<item><guid>t</guid><media:thumbnail url="/t.jpg"/></item>'
    [thumb] = parse_feed(rss(only_thumb, MEDIA), "https://town.example/rss", "Далее")
    assert thumb.photos == ("https://town.example/t.jpg",)


def test_item_keys_links_and_hash() -> None:
    items = (
        "<item><guid>news-1</guid><title>Без ссылки</title><description>a</description></item>"
        "<item><link>https://town.example/n/2</link><title>Только ссылка</title></item>"
        "<item><title>Только заголовок</title></item><item><description>ничего</description></item>"
    )
    parsed = parse_feed(rss(items), "https://town.example/rss", "Далее")
    assert [(p.key, p.link) for p in parsed] == [
        ("Только заголовок", None),
        ("https://town.example/n/2", "https://town.example/n/2"),
        ("news-1", None),
    ]
    assert parsed[2].body.plain == "a", "a guid that is no address makes no link"
    again = parse_feed(rss(items), "https://town.example/rss", "Далее")
    assert [p.content_hash for p in again] == [p.content_hash for p in parsed]
    changed = parse_feed(rss(items.replace(">a<", ">b<")), "https://town.example/rss", "Далее")
    assert changed[2].content_hash != parsed[2].content_hash


def test_not_a_feed() -> None:
    with pytest.raises(NotAFeed):
        parse_feed(b"<<< this is not a feed", "https://town.example/rss", "Далее")


def settings(**publishing: object) -> Settings:
    return Settings(_env_file=None, publishing=publishing)  # type: ignore[arg-type]


def test_feed_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    assert settings(feed_url="https://only.example/rss").publishing.feeds == [
        "https://only.example/rss"
    ]
    assert settings().publishing.feeds == []
    with pytest.raises(ValueError, match="CATEGORY=KIND"):
        settings(feed_category_kinds="Извещения")
    with pytest.raises(ValueError, match="notice"):
        settings(feed_category_kinds="Извещения=poster")
    monkeypatch.setenv(
        "GLASHATAI_PUBLISHING__FEED_URLS", "https://a.example/rss, https://b.example/rss"
    )
    monkeypatch.setenv("GLASHATAI_PUBLISHING__FEED_URL", "https://a.example/rss")
    monkeypatch.setenv("GLASHATAI_PUBLISHING__FEED_EXCLUDE_CATEGORIES", "Аукционы,Реклама")
    monkeypatch.setenv("GLASHATAI_PUBLISHING__FEED_CATEGORY_KINDS", "Извещения=notice")
    loaded = Settings(_env_file=None).publishing
    assert loaded.feeds == ["https://a.example/rss", "https://b.example/rss"]
    assert loaded.feed_exclude_categories == ["Аукционы", "Реклама"]
    assert loaded.feed_category_kinds == {"Извещения": PostKind.NOTICE}


def test_category_semantics() -> None:
    def item(*categories: str) -> object:
        feed = "".join(f"<category>{c}</category>" for c in categories)
        xml = rss(f"<item><guid>1</guid><title>т</title>{feed}</item>")
        return parse_feed(xml, "https://t.example/", "Далее")[0]

    everything = settings().publishing
    assert wanted(everything, item())  # type: ignore[arg-type]
    assert wanted(everything, item("Аукционы"))  # type: ignore[arg-type]
    only_news = settings(feed_categories="новости").publishing
    assert wanted(only_news, item("Новости", "Город"))  # type: ignore[arg-type]
    assert not wanted(only_news, item())  # type: ignore[arg-type]
    assert not wanted(only_news, item("Аукционы"))  # type: ignore[arg-type]
    both = settings(feed_categories="Новости", feed_exclude_categories="Аукционы").publishing
    assert not wanted(both, item("Новости", "аукционы"))  # type: ignore[arg-type]
    kinds = settings(feed_category_kinds="Извещения=notice").publishing
    assert kind_of(kinds, item("Город", "ИЗВЕЩЕНИЯ")) is PostKind.NOTICE  # type: ignore[arg-type]
    assert kind_of(kinds, item("Город")) is PostKind.PRESS_RELEASE  # type: ignore[arg-type]


def test_missing_files_are_named_a_few_at_a_time() -> None:
    texts = Texts.load()
    long_url = "https://town.example/" + "x" * 300 + ".jpg"
    missing = [
        Missing("https://town.example/a.jpg", Failure.HTTP, "404").to_json(),
        Missing("https://town.example/b.jpg", Failure.TOO_LARGE, str(10 * 1024 * 1024)).to_json(),
        Missing(long_url, Failure.NOT_IMAGE).to_json(),
        *(
            Missing(f"https://town.example/{i}.jpg", Failure.OVER_LIMIT, "10").to_json()
            for i in range(5)
        ),
    ]
    lines = missing_lines_of(texts, missing)
    assert lines[:3] == [
        "С сайта не загружено:",
        "• https://town.example/a.jpg — сайт ответил ошибкой HTTP 404",
        "• https://town.example/b.jpg — файл больше 10 МБ",
    ]
    assert lines[3].endswith("… — это не изображение")
    assert len(lines[3]) < 130
    assert lines[-1] == "…и ещё 5"
    assert len(lines) == 5
    assert missing_lines_of(texts, []) == []


def test_control_characters_in_a_site_text_are_dropped() -> None:
    """lxml refuses them (a whole feed would fail to read) and no platform shows them."""
    doc, _ = html_to_doc("a\x01b<p>c\x00d\x7f</p><p>e\x0bf</p>", BASE)
    assert doc.plain == "ab\n\ncd\n\ne f"


def test_notes_follow_the_missing_files() -> None:
    texts = Texts.load()
    entries = [{"note": "ВКонтакте: текст слишком длинный"}]
    assert missing_lines_of(texts, entries) == ["ВКонтакте: текст слишком длинный"]
    entries.insert(0, Missing("https://t.example/a.jpg", Failure.TIMEOUT).to_json())
    assert missing_lines_of(texts, entries) == [
        "С сайта не загружено:",
        "• https://t.example/a.jpg — сайт не отдал файл вовремя",
        "ВКонтакте: текст слишком длинный",
    ]


def test_paragraphs_inside_list_items_and_quotes_keep_their_kind() -> None:
    doc, _ = html_to_doc(
        "<ul><li><p>один</p></li><li><p>два</p><p>ещё</p></li><li></li></ul><p>после</p>"
        "<blockquote><p>цитата</p></blockquote><ol><li><div>а</div></li><li>б</li></ol>",
        BASE,
    )
    assert [(b.kind, b.number, b.text) for b in doc.blocks] == [
        ("bullet", None, "один"),
        ("bullet", None, "два"),
        ("paragraph", None, "ещё"),
        ("paragraph", None, "после"),
        ("quote", None, "цитата"),
        ("ordered", 1, "а"),
        ("ordered", 2, "б"),
    ]
