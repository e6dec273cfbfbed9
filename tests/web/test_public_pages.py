"""The public pages over HTTP on both engines: archive, search, release, files, feeds, hotlines.

The browser tests (test_public_browser.py) run the whole app against the fakes; these
seed the tables through the services and read the pages with an HTTP client.
"""

from __future__ import annotations

import io
import json
import logging
import re
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from xml.etree import ElementTree

import feedparser  # type: ignore[import-untyped]
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from PIL import Image

from shared.clock import utcnow
from shared.domain import MediaKind, PostStatus, PublicationState
from shared.posts import repo
from shared.services import Services
from shared.storage.engine import Database
from shared.storage.media import MediaOwner, NewFile
from shared.storage.schema import posts
from shared.texts import Texts
from tests.harness import pdf_file, photo_file, settings_for
from tests.web.harness import HOSTILE, closed_hotline, release
from web.app import build_app

PUBLIC_URL = "https://press.example.ru/news"
Client = TestClient[web.Request, web.Application]


@pytest.fixture
def services(db: Database, tmp_path: Path) -> Services:
    settings = settings_for(
        tmp_path,
        overrides={
            # Configured but never called: no outbox runs in these tests.
            "telegram": {"token": "123456:TEST-token", "admin_chat_id": -100, "channel_id": "@c"},
            "vk": {"group_id": 1, "group_token": "vk-group-token", "user_token": "vk-user"},
            "web": {
                "enabled": True,
                "public_url": PUBLIC_URL,
                "secret_key": secrets.token_urlsafe(32),
                "page_size": 3,
            },
        },
    )
    return Services(settings=settings, db=db, texts=Texts.load())


@pytest.fixture
async def client(services: Services) -> AsyncIterator[Client]:
    app = build_app(services, services.settings.web)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


async def published(
    services: Services, title: str | None, body: str, hours_ago: float = 1, **kwargs: object
) -> int:
    """A release recorded as published ``hours_ago`` (the outbox is not running here)."""
    post_id = await release(services, title=title, body=body, **kwargs)  # type: ignore[arg-type]
    async with services.db.write() as conn:
        await repo.set_fields(
            conn,
            post_id,
            status=PostStatus.PUBLISHED.value,
            published_at=utcnow() - timedelta(hours=hours_ago),
        )
        for pub in await repo.publications_of(conn, post_id):
            await repo.set_publication(
                conn,
                pub.id,
                state=PublicationState.PUBLISHED.value,
                url=f"https://example.org/{pub.platform}/{post_id}",
            )
    return post_id


def mpo_photo() -> bytes:
    """A camera JPEG with a second picture (MPO), as many phones and cameras write them."""
    out = io.BytesIO()
    first, second = Image.new("RGB", (64, 48), (200, 30, 30)), Image.new("RGB", (64, 48))
    first.save(out, "MPO", save_all=True, append_images=[second])
    return out.getvalue()


def titles(html: str) -> list[str]:
    return re.findall(r'<h2><a href="[^"]*/releases/\d+">([^<]*)</a></h2>', html)


async def text(client: Client, path: str, status: int = 200) -> str:
    response = await client.get(path)
    body = await response.text()
    assert response.status == status, (path, response.status, body[:300])
    return body


async def test_archive_is_newest_first_paginated_and_public_only(
    services: Services, client: Client
) -> None:
    for n in range(5):
        await published(services, f"Новость {n}", f"Текст {n}", hours_ago=10 - n)
    draft = await release(services, title="Черновик", body="не публиковался")
    first = await text(client, "/")
    assert titles(first) == ["Новость 4", "Новость 3", "Новость 2"]
    assert 'href="/news/?page=2"' in first
    second = await text(client, "/?page=2")
    assert titles(second) == ["Новость 1", "Новость 0"]
    assert titles(await text(client, "/?page=999")) == ["Новость 1", "Новость 0"]
    assert titles(await text(client, "/?page=abc")) == titles(first)
    await text(client, f"/releases/{draft}", status=404)
    assert "Черновик" not in first + second


async def test_search_matches_title_and_body_in_russian_word_forms(
    services: Services, client: Client
) -> None:
    heat = await published(services, "Отопление в домах", "Подача тепла начнётся в понедельник")
    road = await published(services, "Ремонт дорог", "Дорожники отремонтируют мост у школы")
    await published(services, "Праздник", "Концерт на площади")
    await release(services, title="Отопление (черновик)", body="не опубликовано")

    def found(html: str) -> set[int]:
        return {int(i) for i in re.findall(r'href="/news/releases/(\d+)"', html)}

    assert found(await text(client, "/search?q=отоплением")) == {heat}
    assert found(await text(client, "/search?q=тепло")) == {heat}
    assert found(await text(client, "/search?q=мостом+школы")) == {road}
    assert found(await text(client, "/search?q=мост+отопление")) == set()
    html = await text(client, "/search?q=" + "%22*)(OR NEAR" * 3)
    assert "найдено: 0" in html
    assert "Введите слова" in await text(client, "/search?q=+++")


def found_ids(html: str) -> set[int]:
    return {int(i) for i in re.findall(r'href="/news/releases/(\d+)"', html)}


async def test_search_treats_yo_and_ye_as_one_letter(services: Services, client: Client) -> None:
    """«ёлку» is found by «ёлка», «елка» and «Ёлку», and «учет» by «учёт», both ways round."""
    yo = await published(services, "Новогодняя ёлка", "Ёлку поставят на площади, учёт подарков")
    ye = await published(services, "Зеленая елка", "Елку нарядят, учет игрушек")
    for query in ("ёлка", "елка", "ёлку", "Ёлку", "ЕЛКА", "учёт", "учет", "зелёная"):
        html = await text(client, "/search?q=" + query)
        if query == "зелёная":
            assert found_ids(html) == {ye}, query
        else:
            assert found_ids(html) == {yo, ye}, query
    # An edit is indexed the same way (the triggers fold it too).
    async with services.db.write() as conn:
        await repo.set_fields(conn, ye, title="Салют и Ёж")
    assert found_ids(await text(client, "/search?q=еж")) == {ye}


async def test_search_requires_every_word_and_reads_no_operators(
    services: Services, client: Client
) -> None:
    """ "or", "-" and quotes are words (or nothing) on both engines, never query syntax."""
    heat = await published(services, "Отопление", "Подача тепла")
    await published(services, "Праздник", "Концерт")
    for query in ("отопление or праздник", "отопление OR праздник", "отопление | праздник"):
        assert "найдено: 0" in await text(client, "/search?q=" + query.replace(" ", "+"))
    assert found_ids(await text(client, "/search?q=отопление+-тепла")) == {heat}
    assert found_ids(await text(client, '/search?q="отопление"')) == {heat}


async def test_search_index_follows_edits_and_deletes(services: Services, client: Client) -> None:
    post_id = await published(services, "Старый заголовок", "Про субботник")
    async with services.db.write() as conn:
        await repo.set_fields(conn, post_id, title="Новый заголовок про велодорожки")
    assert f"/releases/{post_id}" in await text(client, "/search?q=велодорожка")
    assert f"/releases/{post_id}" not in await text(client, "/search?q=старый")
    async with services.db.write() as conn:
        await conn.execute(posts.delete().where(posts.c.id == post_id))
    assert f"/releases/{post_id}" not in await text(client, "/search?q=субботник")


async def test_release_page_has_files_links_and_open_graph(
    services: Services, client: Client
) -> None:
    post_id = await published(
        services,
        "Открытие парка",
        "Парк **откроется** в субботу. [Программа](https://town.example/park)",
        media=[photo_file("park.png"), pdf_file("Программа праздника.pdf")],
    )
    html = await text(client, f"/releases/{post_id}")
    assert '<meta property="og:title" content="Открытие парка">' in html
    assert f'<meta property="og:url" content="{PUBLIC_URL}/releases/{post_id}">' in html
    og_image = re.search(r'<meta property="og:image" content="([^"]+)">', html)
    assert og_image is not None
    assert og_image.group(1).startswith(f"{PUBLIC_URL}/files/")
    assert "<strong>откроется</strong>" in html
    assert f'href="https://example.org/telegram/{post_id}"' in html
    assert f'href="https://example.org/vk/{post_id}"' in html
    image = re.search(r'<img src="/news(/files/\d+/park.png)"', html)
    assert image is not None
    response = await client.get(image.group(1))
    assert response.status == 200
    assert response.content_type == "image/png"
    document = re.search(r'href="/news(/files/\d+/[^"]+\.pdf)" download', html)
    assert document is not None
    response = await client.get(document.group(1))
    assert response.content_type == "application/octet-stream"
    assert (await response.read()).startswith(b"%PDF")


async def test_files_of_unpublished_posts_are_not_served(
    services: Services, client: Client
) -> None:
    draft = await release(services, title="Черновик", body="с фото", media=[photo_file()])
    async with services.db.read() as conn:
        files = await repo_media(conn, draft)
    assert files
    for item_id in files:
        await text(client, f"/files/{item_id}/p.png", status=404)


async def repo_media(conn: object, post_id: int) -> list[int]:
    from shared.storage import media

    return [m.id for m in await media.of(conn, MediaOwner.POST, post_id)]  # type: ignore[arg-type]


async def test_feeds_are_valid_rss_and_atom_with_public_links(
    services: Services, client: Client
) -> None:
    ids = [
        await published(
            services,
            f"Выпуск {n}",
            f"Текст **{n}** & <b>",
            hours_ago=5 - n,
            media=[photo_file(f"{n}.png")] if n == 2 else [],
        )
        for n in range(3)
    ]
    for path, version in (("/feed.rss", "rss20"), ("/feed.atom", "atom10")):
        response = await client.get(path)
        assert response.status == 200
        assert "xml" in response.content_type
        feed = feedparser.parse(await response.read())
        assert not feed.bozo, feed.get("bozo_exception")
        assert feed.version == version
        assert feed.feed.language == "ru"
        assert [e.title for e in feed.entries] == ["Выпуск 2", "Выпуск 1", "Выпуск 0"]
        assert [e.link for e in feed.entries] == [
            f"{PUBLIC_URL}/releases/{i}" for i in reversed(ids)
        ]
        assert "&lt;b&gt;" in feed.entries[0].summary
        assert "<strong>2</strong>" in feed.entries[0].summary
        [photo] = feed.entries[0].enclosures
        assert photo.href.startswith(f"{PUBLIC_URL}/files/")
        assert photo.href.endswith("/2.png")
        assert photo.type == "image/png"
        assert int(photo.length) > 0
        assert feed.entries[1].enclosures == []


async def test_closed_hotline_shows_only_published_answers_and_no_citizen(
    services: Services, client: Client
) -> None:
    seeded = await closed_hotline(services)
    listing = await text(client, "/hotlines")
    assert f'href="/news/hotlines/{seeded.id}"' in listing
    html = await text(client, f"/hotlines/{seeded.id}")
    assert "Почему в подъезде холодно?" in html
    assert "Проверим утепление подъезда." in html
    for hidden in seeded.unpublished:
        assert hidden not in html
    assert seeded.citizen_name not in html
    assert "7301" not in html
    assert "<img" not in html


async def closed_with(
    services: Services, topic: str, description: str, pairs: list[tuple[str, tuple[str, ...]]]
) -> int:
    """A closed hotline whose questions are each answered (with a photo as well, where the
    answer is empty) and marked for publication."""
    from shared.domain import HotlineStatus
    from shared.hotlines import campaigns, moderation
    from shared.hotlines import questions as questions_repo
    from shared.storage import citizens
    from tests.web.harness import MOD

    now = utcnow()
    async with services.db.write() as conn:
        hotline = await campaigns.create(
            conn, topic=topic, description=description, starts_at=now + timedelta(hours=1),
            ends_at=now + timedelta(hours=2), created_by="test",
        )  # fmt: skip
        citizen = await citizens.get_or_create(conn, "telegram", "7301")
        ids = [
            await questions_repo.add(conn, citizen_id=citizen.id, hotline_id=hotline.id, text=q)
            for q, _ in pairs
        ]
    for question_id, (_, answers) in zip(ids, pairs, strict=True):
        for answer in answers:
            await moderation.answer(
                services, MOD, question_id, answer, () if answer else (photo_file(),)
            )
        await moderation.toggle_publishable(services, MOD, question_id)
    async with services.db.write() as conn:
        closed = await campaigns.set_status(
            conn, hotline.id, HotlineStatus.CLOSED, expected=HotlineStatus.SCHEDULED
        )
        assert closed
    return hotline.id


async def test_a_closed_hotline_shows_only_answers_with_text(
    services: Services, client: Client
) -> None:
    """A question answered only with a photo (a timetable), or asked with a photo alone,
    has nothing the page prints: it is left out, as from the digest, not shown with an
    empty answer, and the listing's count of published answers leaves it out too."""
    hotline_id = await closed_with(
        services,
        "Транспорт",
        "",
        [
            ("Когда пойдёт автобус №5?", ("",)),
            ("", ("Яму засыплем до пятницы.",)),
            ("Когда тепло?", ("", "В октябре.", "")),
        ],
    )
    html = await text(client, f"/hotlines/{hotline_id}")
    assert re.findall(r"<h3 [^>]*>([^<]*)</h3>", html) == ["Вопрос №3"]
    assert "В октябре." in html
    assert "автобус" not in html
    assert "засыплем" not in html
    assert not re.search(r"<p>\s*</p>", html)
    listing = await text(client, "/hotlines")
    assert "Опубликовано ответов: 1<" in listing


async def test_a_closed_hotline_page_keeps_words_apart_around_control_characters(
    services: Services, client: Client
) -> None:
    """Word's vertical tab (its line break), a page break and other control characters
    become a space on the page, as in the digest for print: printed raw, the browser would
    run the words together («символомвертикальной»)."""
    hotline_id = await closed_with(
        services,
        "Дороги\x0bи мосты",
        "Вопросы\x0cо ремонте",
        [("Вопрос с символом\x0bвертикальной\x7fтабуляции", ("Ответ\x1fс\x0bпробелом",))],
    )
    html = await text(client, f"/hotlines/{hotline_id}")
    assert re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", html) is None
    assert "<p>Вопрос с символом вертикальной табуляции</p>" in html
    assert "<p>Ответ с пробелом</p>" in html
    assert "<h1>Дороги и мосты</h1>" in html
    assert "<p>Вопросы о ремонте</p>" in html
    listing = await text(client, "/hotlines")
    assert re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", listing) is None
    assert ">Дороги и мосты</a>" in listing


async def test_open_hotline_is_not_public(services: Services, client: Client) -> None:
    from shared.hotlines import campaigns

    async with services.db.write() as conn:
        hotline = await campaigns.create(
            conn,
            topic="Идёт сейчас",
            starts_at=utcnow() + timedelta(hours=1),
            ends_at=utcnow() + timedelta(hours=2),
            created_by="test",
        )
    await text(client, f"/hotlines/{hotline.id}", status=404)
    assert "Идёт сейчас" not in await text(client, "/hotlines")


async def test_hostile_text_is_escaped_everywhere(services: Services, client: Client) -> None:
    post_id = await published(services, HOSTILE, HOSTILE)
    seeded = await closed_hotline(services)
    pages = ["/", f"/releases/{post_id}", "/search?q=script", "/hotlines", f"/hotlines/{seeded.id}"]
    for path in pages:
        html = await text(client, path)
        assert "<script>window" not in html, path
        assert "<img src=x" not in html, path
    for path in ("/feed.rss", "/feed.atom"):
        xml = await text(client, path)
        assert "<script>" not in xml
        assert "<img src=x" not in xml


async def test_no_secret_in_any_page_or_header(services: Services, client: Client) -> None:
    settings = services.settings
    secret = settings.web.secret_key
    assert secret is not None
    post_id = await published(services, "Новость", "Текст", media=[photo_file()])
    seeded = await closed_hotline(services)
    paths = [
        "/",
        "/?page=2",
        "/search?q=новость",
        f"/releases/{post_id}",
        "/hotlines",
        f"/hotlines/{seeded.id}",
        "/feed.rss",
        "/feed.atom",
        "/nope",
    ]
    for path in paths:
        response = await client.get(path)
        everything = str(dict(response.headers)) + await response.text()
        assert secret.get_secret_value() not in everything, path
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]


async def test_control_characters_from_word_keep_feeds_well_formed(
    services: Services, client: Client
) -> None:
    """Word pastes U+000B (its soft line break) and U+000C; XML 1.0 forbids them (and the
    other C0 controls), so a feed carrying them would be rejected by every reader."""
    post_id = await published(
        services,
        "Заголовок\x0bиз Word\x01",
        "Первая строка\x0bвторая строка\x0c конец\x1f [ссылка](https://town.example/a\x08b)",
    )
    for path in ("/feed.rss", "/feed.atom"):
        response = await client.get(path)
        assert response.status == 200
        data = await response.read()
        ElementTree.fromstring(data)  # well-formed, or this raises
        feed = feedparser.parse(data)
        assert not feed.bozo, feed.get("bozo_exception")
        [entry] = feed.entries
        assert entry.title == "Заголовок из Word"
        assert "Первая строка<br />вторая строка" in entry.summary
        assert "https://town.example/ab" in entry.summary
    html = await text(client, f"/releases/{post_id}")
    assert re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", html) is None
    assert "<h1>Заголовок из Word</h1>" in html
    assert "Первая строка<br>вторая строка<br> конец" in html


async def test_atom_updated_follows_an_edit(services: Services, client: Client) -> None:
    """<published> stays when the release went out; <updated> moves with an edit."""
    post_id = await published(services, "Отключение воды", "Воду отключат в среду", hours_ago=5)
    later = utcnow() + timedelta(hours=2)  # an edit made after the feed was last read
    async with services.db.write() as conn:
        await conn.execute(
            posts.update().where(posts.c.id == post_id).values(title="Перенос", updated_at=later)
        )
    atom = feedparser.parse(await (await client.get("/feed.atom")).read())
    [entry] = atom.entries
    assert entry.title == "Перенос"
    published_at = datetime(*entry.published_parsed[:6], tzinfo=UTC)
    updated_at = datetime(*entry.updated_parsed[:6], tzinfo=UTC)
    assert abs(published_at - (utcnow() - timedelta(hours=5))) < timedelta(minutes=1)
    assert updated_at == later.replace(microsecond=0)
    assert datetime(*atom.feed.updated_parsed[:6], tzinfo=UTC) == updated_at
    rss = feedparser.parse(await (await client.get("/feed.rss")).read())
    assert datetime(*rss.entries[0].published_parsed[:6], tzinfo=UTC) == published_at


async def test_camera_jpeg_stored_as_mpo_is_served_as_jpeg(
    services: Services, client: Client
) -> None:
    """Photos stored before MPO was typed as JPEG still show inline and say image/jpeg."""
    photo = NewFile(MediaKind.PHOTO, "IMG_0001.JPG", "image/mpo", mpo_photo())
    post_id = await published(services, "Субботник", "Фото", media=[photo])
    html = await text(client, f"/releases/{post_id}")
    image = re.search(r'<img src="/news(/files/\d+/IMG_0001.JPG)"', html)
    assert image is not None
    response = await client.get(image.group(1))
    assert response.status == 200
    assert response.content_type == "image/jpeg"
    assert response.headers["Content-Disposition"] == "inline"
    for path in ("/feed.rss", "/feed.atom"):
        [entry] = feedparser.parse(await (await client.get(path)).read()).entries
        assert [e.type for e in entry.enclosures] == ["image/jpeg"], path


@pytest.mark.parametrize("page", ["²", "¹", "③", "٣", "+1", "-1", " 1", "1.5", "9" * 30])
async def test_odd_page_numbers_show_the_first_page(
    services: Services, client: Client, page: str
) -> None:
    await published(services, "Новость", "Текст новости")
    for path in ("/", "/search"):
        response = await client.get(path, params={"page": page, "q": "новость"})
        body = await response.text()
        assert response.status == 200, (path, page, response.status, body[:200])
        assert "Новость" in body


@pytest.mark.parametrize(
    "path",
    [
        "/releases/99999999999999999999999",
        "/releases/9223372036854775808",
        "/releases/٣",
        "/releases/0",
        "/hotlines/99999999999999999999999",
        "/files/99999999999999999999999/x.png",
    ],
)
async def test_impossible_ids_are_not_found(client: Client, path: str) -> None:
    response = await client.get(path)
    assert response.status == 404
    assert "Страница не найдена" in await response.text()


async def test_a_wrong_method_says_which_are_allowed(client: Client) -> None:
    response = await client.post("/")
    assert response.status == 405
    assert set(response.headers["Allow"].split(",")) >= {"GET"}
    assert response.content_type == "text/html"
    assert "Не удалось открыть страницу" in await response.text()
    assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_an_unexpected_error_is_a_russian_page_with_the_security_headers(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    """Whatever a handler raises, the visitor gets the catalogue's page, never a traceback;
    the log gets the traceback, with the route's pattern rather than its path."""

    async def broken(request: web.Request) -> web.Response:
        raise RuntimeError("the handler broke")

    app = build_app(services, services.settings.web)
    app.router.add_get("/broken/{token}", broken)
    async with TestClient(TestServer(app)) as broken_client:
        with caplog.at_level(logging.ERROR, logger="web.app"):
            response = await broken_client.get("/broken/secret-login-token")
            body = await response.text()
    assert response.status == 500
    assert response.content_type == "text/html"
    assert "На сервере произошла ошибка" in body
    assert "the handler broke" not in body
    assert "Traceback" not in body
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    [record] = [r for r in caplog.records if r.name == "web.app"]
    assert record.exc_info is not None or record.exc_text
    assert "/broken/{token}" in record.getMessage()
    assert "secret-login-token" not in record.getMessage()


SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
W3C = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


async def sitemap_of(client: Client, path: str) -> ElementTree.Element:
    response = await client.get(path)
    assert response.status == 200
    assert response.content_type == "application/xml"
    return ElementTree.fromstring(await response.read())


def locations(tree: ElementTree.Element) -> dict[str, str]:
    """Each ``<url>``'s address and ``lastmod``."""
    found = {}
    for url in tree.findall("s:url", SITEMAP_NS):
        lastmod = url.findtext("s:lastmod", namespaces=SITEMAP_NS)
        assert lastmod is None or W3C.match(lastmod), lastmod
        found[url.findtext("s:loc", namespaces=SITEMAP_NS) or ""] = lastmod or ""
    return found


async def test_sitemap_lists_every_public_page_and_nothing_else(
    services: Services, client: Client
) -> None:
    from shared.hotlines import campaigns

    first = await published(services, "Отключение воды", "Воду отключат в среду", hours_ago=5)
    second = await published(services, "Ярмарка", "Ярмарка в субботу", hours_ago=2)
    draft = await release(services, title="Черновик", body="Ещё не вышел")
    edited = utcnow() + timedelta(hours=1)
    async with services.db.write() as conn:
        await conn.execute(posts.update().where(posts.c.id == first).values(updated_at=edited))
        await campaigns.create(
            conn,
            topic="Ещё не прошла",
            starts_at=utcnow() + timedelta(hours=1),
            ends_at=utcnow() + timedelta(hours=2),
            created_by="test",
        )
    closed = await closed_hotline(services)
    found = locations(await sitemap_of(client, "/sitemap.xml"))
    assert set(found) == {
        f"{PUBLIC_URL}/",
        f"{PUBLIC_URL}/hotlines",
        f"{PUBLIC_URL}/hotlines/{closed.id}",
        f"{PUBLIC_URL}/releases/{first}",
        f"{PUBLIC_URL}/releases/{second}",
    }
    assert f"{PUBLIC_URL}/releases/{draft}" not in found
    assert found[f"{PUBLIC_URL}/releases/{first}"] == f"{edited:%Y-%m-%dT%H:%M:%S}Z"
    assert found[f"{PUBLIC_URL}/"] == found[f"{PUBLIC_URL}/releases/{first}"], "the newest change"
    assert found[f"{PUBLIC_URL}/hotlines"] != ""


async def test_a_sitemap_with_nothing_closed_yet_gives_no_made_up_date(client: Client) -> None:
    found = locations(await sitemap_of(client, "/sitemap.xml"))
    assert found == {f"{PUBLIC_URL}/": "", f"{PUBLIC_URL}/hotlines": ""}


async def test_a_sitemap_past_its_limit_is_an_index_of_parts(
    services: Services, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """sitemaps.org's 50,000 addresses per file, shrunk to 2 here (rather than seeding
    50,001 releases): the sitemap becomes an index, and its parts list every release once."""
    from web.public import crawlers

    monkeypatch.setattr(crawlers, "SITEMAP_LIMIT", 2)
    ids = [await published(services, f"Выпуск {n}", f"Текст {n}") for n in range(5)]
    index = await sitemap_of(client, "/sitemap.xml")
    assert index.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}sitemapindex"
    parts = [loc.text or "" for loc in index.findall("s:sitemap/s:loc", SITEMAP_NS)]
    assert parts == [f"{PUBLIC_URL}/sitemap-{n}.xml" for n in (1, 2, 3)]
    listed: list[str] = []
    for part in parts:
        listed += locations(await sitemap_of(client, part.removeprefix(PUBLIC_URL)))
    releases = [loc for loc in listed if "/releases/" in loc]
    assert releases == [f"{PUBLIC_URL}/releases/{i}" for i in ids]
    assert f"{PUBLIC_URL}/hotlines" in listed
    await text(client, "/sitemap-4.xml", status=404)


async def test_robots_keeps_staff_pages_out_and_names_the_sitemap(client: Client) -> None:
    robots = await text(client, "/robots.txt")
    assert robots.splitlines() == [
        "User-agent: *",
        "Disallow: /news/desk",
        "Disallow: /news/search",
        f"Sitemap: {PUBLIC_URL}/sitemap.xml",
    ]


async def test_release_page_describes_itself_as_a_news_article(
    services: Services, client: Client
) -> None:
    """schema.org data for search engines, its text JSON inside the script element: a
    hostile title can neither end the element nor break the JSON."""
    post_id = await published(
        services, f"Ярмарка {HOSTILE} </script>", "Ярмарка в субботу", media=[photo_file()]
    )
    html = await text(client, f"/releases/{post_id}")
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert len(blocks) == 1
    data = json.loads(blocks[0])
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == f"Ярмарка {HOSTILE} </script>"
    assert data["url"] == f"{PUBLIC_URL}/releases/{post_id}"
    went_out = datetime.fromisoformat(data["datePublished"])
    assert abs(went_out - (utcnow() - timedelta(hours=1))) < timedelta(minutes=1)
    assert data["image"][0].startswith(f"{PUBLIC_URL}/files/")
    assert data["publisher"]["name"] == "Пресс-служба администрации"


async def test_a_release_of_photos_alone_is_named_by_its_kind_and_day(
    services: Services, client: Client
) -> None:
    """No title, no text (the admin chat and the CLI accept photos alone): its link, <h1>,
    <title>, feed titles, schema.org headline and photo alt texts all say «Пресс-релиз от
    <day>», never nothing (an empty link has no name for a screen reader)."""
    post_id = await published(services, None, "", media=[photo_file("salute.png")])
    async with services.db.read() as conn:
        (post,) = [p for p in await repo.recent(conn) if p.id == post_id]
    assert post.published_at is not None
    name = "Пресс-релиз от " + post.published_at.astimezone(services.settings.tz).strftime(
        "%d.%m.%Y"
    )

    assert f'/releases/{post_id}">{name}</a>' in await text(client, "/")
    html = await text(client, f"/releases/{post_id}")
    assert f"<h1>{name}</h1>" in html
    assert f"<title>{name} — Пресс-служба администрации</title>" in html
    assert f'alt="Фото 1 к публикации «{name}»"' in html
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert block is not None
    assert json.loads(block.group(1))["headline"] == name
    for path in ("/feed.rss", "/feed.atom"):
        feed = feedparser.parse(await (await client.get(path)).read())
        assert [e.title for e in feed.entries] == [name], path


async def test_feeds_answer_a_conditional_get_with_304(services: Services, client: Client) -> None:
    """Readers poll: the same feed is 304 by its ETag or its Last-Modified; a new release,
    an edit or a withdrawal makes it 200 again."""
    post_id = await published(services, "Первая", "Текст")
    for path in ("/feed.rss", "/feed.atom"):
        first = await client.get(path)
        etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
        assert (await client.get(path, headers={"If-None-Match": etag})).status == 304
        assert (await client.get(path, headers={"If-Modified-Since": modified})).status == 304
        both = {"If-None-Match": '"other"', "If-Modified-Since": modified}
        assert (await client.get(path, headers=both)).status == 200, "the ETag decides"
        unchanged = await client.get(path, headers={"If-None-Match": f"W/{etag}, x"})
        assert unchanged.status == 304
        assert unchanged.headers["ETag"] == etag
        assert await unchanged.read() == b""
    before = {path: (await client.get(path)).headers.copy() for path in ("/feed.rss", "/feed.atom")}

    async with services.db.write() as conn:  # withdrawn: off the feeds
        await repo.set_fields(conn, post_id, status=PostStatus.CANCELLED.value)
    earlier = format_datetime(utcnow() - timedelta(minutes=5), usegmt=True)
    for path, seen in before.items():
        after = await client.get(path, headers={"If-None-Match": seen["ETag"]})
        assert after.status == 200, path
        assert "Первая" not in await after.text()
        assert after.headers["ETag"] != seen["ETag"]
        last = parsedate_to_datetime(after.headers["Last-Modified"])
        assert last >= parsedate_to_datetime(seen["Last-Modified"])
        assert (await client.get(path, headers={"If-Modified-Since": earlier})).status == 200
        same = await client.get(path, headers={"If-Modified-Since": after.headers["Last-Modified"]})
        assert same.status == 304
