"""The public pages in a real browser, served by the whole app against the fake platforms.

Releases are published by the running app to the fake Telegram and VK, so the links on a
release page are the ones the platforms gave. Every public page is checked with axe-core
(no serious or critical violation), and hostile text in a release and in a citizen's
question must stay text: the browser runs none of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import feedparser  # type: ignore[import-untyped]

from simulators.telegram import FakeTelegram
from simulators.vk import FakeVK
from tests.web.conftest import Axe, PageEvents, Shot, inert
from tests.web.harness import (
    HOSTILE,
    RunningWeb,
    closed_hotline,
    pdf_file,
    photo_file,
    release,
    wait_published,
)
from tests.web.test_public_pages import closed_with

if TYPE_CHECKING:
    from playwright.async_api import Page


PARK = (
    "Парк на набережной **откроется** в субботу после реконструкции.\n\n"
    "В программе:\n\n- концерт городского оркестра;\n- ярмарка;\n- экскурсии.\n\n"
    "[Схема проезда](https://town.example/park)"
)


async def test_public_pages_in_the_browser(
    web_running: RunningWeb,
    tg: FakeTelegram,
    vk: FakeVK,
    page: Page,
    page_events: PageEvents,
    axe: Axe,
    screenshot: Shot,
) -> None:
    services = web_running.services
    park = await release(
        services,
        title="Парк на набережной откроется в субботу",
        body=PARK,
        media=[photo_file("park.png"), pdf_file("Программа.pdf")],
    )
    heat = await release(
        services,
        title="Отопление включат досрочно",
        body="Подача тепла в жилые дома начнётся в понедельник, на неделю раньше графика.",
    )
    _, park_pubs = await wait_published(web_running, park)
    await wait_published(web_running, heat)
    seeded = await closed_hotline(services, hostile="")
    base = web_running.url

    # The archive: newest first, a labelled search form, no accessibility blockers.
    await page.goto(f"{base}/")
    assert await page.title() == "Пресс-релизы — Пресс-служба администрации"
    assert await page.locator("html").get_attribute("lang") == "ru"
    assert await axe(page) == []
    await screenshot(page, "archive")
    await page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Перейти к содержанию")
    assert await skip.evaluate("el => el === document.activeElement")
    assert await skip.is_visible()

    # Search with the form, as a visitor would; a word form differs from the text's.
    await page.get_by_label("Найти в пресс-релизах").fill("набережная")
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/search?q=*")
    assert await page.get_by_role("link", name="Парк на набережной откроется в субботу").count()
    assert await page.get_by_text("Отопление включат досрочно").count() == 0
    assert await axe(page) == []

    # The release: body, photo, document, where it was published, Open Graph.
    await page.get_by_role("link", name="Парк на набережной откроется в субботу").click()
    await page.wait_for_url(f"**/releases/{park}")
    assert await page.get_by_role("heading", level=1).inner_text() == (
        "Парк на набережной откроется в субботу"
    )
    image = page.locator(".photos img").first
    # Synchronised on the image's own load event: under load it may still be arriving.
    await image.evaluate(
        "img => img.complete ? null : new Promise((loaded, failed) => {"
        " img.addEventListener('load', loaded); img.addEventListener('error', failed); })"
    )
    assert await image.evaluate("img => img.naturalWidth > 0")
    assert await page.get_by_role("link", name="Программа.pdf").count() == 1
    for pub in park_pubs:
        assert pub.url is not None
        assert await page.locator(f'a[href="{pub.url}"]').count() == 1
    og = await page.locator('meta[property="og:url"]').get_attribute("content")
    assert og == f"{services.settings.web.public_url}/releases/{park}"
    described = await page.locator('script[type="application/ld+json"]').evaluate(
        "script => JSON.parse(script.textContent)"
    )
    assert described["@type"] == "NewsArticle"
    assert described["headline"] == "Парк на набережной откроется в субботу"
    assert await axe(page) == []
    await screenshot(page, "release")

    # Closed hotlines and their published answers.
    await page.get_by_role("link", name="Горячие линии").click()
    assert await axe(page) == []
    await page.get_by_role("link", name="Отопление").click()
    await page.wait_for_url(f"**/hotlines/{seeded.id}")
    assert await page.get_by_text("Проверим утепление подъезда.").count() == 1
    assert await page.get_by_text(seeded.citizen_name).count() == 0
    assert await axe(page) == []
    await screenshot(page, "hotline")

    # The feed, as the office's old site reads it.
    response = await page.request.get(f"{base}/feed.rss")
    feed = feedparser.parse(await response.body())
    assert "Парк на набережной откроется в субботу" in [e.title for e in feed.entries]

    # Hostile text shows as text on every page that carries it, and runs nowhere.
    hostile = await release(services, title=f"Заголовок {HOSTILE}", body=f"Текст {HOSTILE}")
    await wait_published(web_running, hostile)
    attacked = await closed_hotline(services, topic="Благоустройство")
    for path in [
        "/",
        f"/releases/{hostile}",
        "/search?q=заголовок",
        f"/hotlines/{attacked.id}",
    ]:
        await page.goto(f"{base}{path}")
        assert await page.get_by_text("<script>window.__pwned", exact=False).count() >= 1, path
        await inert(page, page_events)
        assert await axe(page) == [], path

    await page.goto(f"{base}/no-such-page")
    assert await page.get_by_role("heading", level=1).inner_text() == "Страница не найдена"
    assert await axe(page) == []
    assert page_events.console_errors == [] or all("404" in e for e in page_events.console_errors)


async def test_no_token_or_secret_in_public_pages_or_headers(
    web_running: RunningWeb, page: Page
) -> None:
    services = web_running.services
    post_id = await release(services, title="Новость", body="Текст", media=[photo_file()])
    await wait_published(web_running, post_id)
    seeded = await closed_hotline(services)
    secrets = services.settings.secrets()
    assert len(secrets) == 4  # bot token, VK group and user tokens, the web secret key
    base = web_running.url
    for path in [
        "/",
        "/search?q=новость",
        f"/releases/{post_id}",
        "/hotlines",
        f"/hotlines/{seeded.id}",
        "/feed.rss",
        "/feed.atom",
        "/static/site.css",
        "/missing",
    ]:
        response = await page.request.get(f"{base}{path}")
        seen = str(response.headers) + (await response.body()).decode("utf-8", "replace")
        for secret in secrets:
            assert secret not in seen, path


async def test_axe_check_does_report_a_serious_violation(page: Page, axe: Axe) -> None:
    """The checker itself works: an unlabelled field and a nameless button are reported."""
    await page.set_content('<html lang="ru"><main><input type="text"><button></button></main>')
    found = {v["id"] for v in await axe(page)}
    assert {"label", "button-name"} <= found


# A link a press officer pastes: nowhere to break it but at its punctuation.
LONG_URL = "https://www.gosuslugi.ru/600101/1/form?_=104405&from=town_admin_site_record_form"
LONG_NAME = "Постановление_администрации_города_о_порядке_записи_на_приём_2026.pdf"


async def test_pages_fit_a_phone_screen(
    web_running: RunningWeb, page: Page, page_events: PageEvents, axe: Axe
) -> None:
    """At 360 px nothing scrolls sideways: an unbreakable document name, a long link, a
    control character pasted from Word in the title and body."""
    services = web_running.services
    post_id = await release(
        services,
        title="Запись на приём\x0bчерез Госуслуги",
        body=f"Записаться можно по ссылке {LONG_URL}\x0bили [здесь]({LONG_URL}).",
        media=[pdf_file(LONG_NAME)],
    )
    await wait_published(web_running, post_id)
    await page.set_viewport_size({"width": 360, "height": 740})
    base = web_running.url
    for path in ["/", "/search?q=запись", f"/releases/{post_id}", "/hotlines", "/nope"]:
        await page.goto(f"{base}{path}")
        sideways = await page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert sideways <= 0, (path, sideways)
        assert await axe(page) == [], path
    await page.goto(f"{base}/releases/{post_id}")
    # Word's soft line break is a line break, not a character the page cannot show.
    assert await page.get_by_role("heading", level=1).inner_text() == (
        "Запись на приём через Госуслуги"
    )
    assert await page.locator(".release-body br").count() == 1
    assert page_events.page_errors == []


async def test_a_hotline_page_shows_what_the_digest_prints(
    web_running: RunningWeb, page: Page, page_events: PageEvents, axe: Axe
) -> None:
    """In the browser: Word's vertical tab keeps two words apart (a space, as in the digest
    for print), and a question answered with a photo alone is neither shown with an empty
    answer nor counted among the published answers."""
    hotline_id = await closed_with(
        web_running.services,
        "Дороги\x0bи мосты",
        "",
        [
            ("Вопрос с символом\x0bвертикальной табуляции", ("Ответ\x0bс пробелом",)),
            ("Когда пойдёт автобус №5?", ("",)),
        ],
    )
    await page.goto(f"{web_running.url}/hotlines")
    assert "Опубликовано ответов: 1" in await page.locator("main").inner_text()
    await page.get_by_role("link", name="Дороги и мосты").click()
    await page.wait_for_url(f"**/hotlines/{hotline_id}")
    assert await page.get_by_role("heading", level=1).inner_text() == "Дороги и мосты"
    shown = await page.locator("main").inner_text()
    assert "Вопрос с символом вертикальной табуляции" in shown
    assert "Ответ с пробелом" in shown
    assert "автобус" not in shown
    assert await page.locator("section.qa").count() == 1
    assert await axe(page) == []
    assert page_events.page_errors == []


async def test_a_release_of_photos_alone_has_a_name_everywhere(
    web_running: RunningWeb, page: Page, axe: Axe
) -> None:
    """Published by the app with neither title nor text: the archive's link and the page's
    heading name it by kind and day, so axe finds no nameless link or empty heading."""
    services = web_running.services
    post_id = await release(services, title=None, body="", media=[photo_file("salute.png")])
    post, _ = await wait_published(web_running, post_id)
    assert post.published_at is not None
    day = post.published_at.astimezone(services.settings.tz).strftime("%d.%m.%Y")
    name = f"Пресс-релиз от {day}"

    await page.goto(f"{web_running.url}/")
    assert await axe(page) == []
    await page.get_by_role("link", name=name).click()
    await page.wait_for_url(f"**/releases/{post_id}")
    assert await page.get_by_role("heading", level=1).inner_text() == name
    assert await page.title() == f"{name} — Пресс-служба администрации"
    assert await page.get_by_role("img", name=f"Фото 1 к публикации «{name}»").count() == 1
    assert await axe(page) == []
