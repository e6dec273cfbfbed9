"""The staff desk in a real browser, served by the whole app against the fake platforms:
log in through the /web link, write and schedule a post in the editor, find it on the
calendar, publish it and watch it reach both fakes; the way out of an ``unknown`` send;
hostile text stays text on every desk page; axe-core finds nothing serious."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from shared.clock import utcnow
from shared.domain import PostStatus, PublicationState
from shared.hotlines import questions as questions_repo
from shared.posts import service
from shared.richtext import from_markdown, from_plain
from shared.storage import audit, citizens
from simulators.telegram import FakeTelegram, make_png
from simulators.vk import FakeVK
from simulators.waiting import wait
from tests.harness import CHANNEL_ID, MODERATOR
from tests.posts_harness import wait_post
from tests.web.conftest import Axe, PageEvents, Shot, inert
from tests.web.harness import HOSTILE, RunningWeb, closed_hotline
from tests.web.test_desk_login import ask_link

if TYPE_CHECKING:
    from playwright.async_api import Page


BODY = (
    "Администрация приглашает жителей на **публичные слушания** по проекту благоустройства.\n\n"
    "- дата: 5 декабря;\n- место: актовый зал.\n\n[Проект](https://town.example/project)"
)


async def login(page: Page, tg: FakeTelegram) -> None:
    await page.goto(await ask_link(tg))
    await page.get_by_role("button", name="Войти").click()
    await page.wait_for_url("**/desk/calendar")


async def test_editor_to_calendar_to_both_platforms(
    web_running: RunningWeb,
    tg: FakeTelegram,
    vk: FakeVK,
    page: Page,
    page_events: PageEvents,
    axe: Axe,
    screenshot: Shot,
    tmp_path: Path,
) -> None:
    services = web_running.services
    await login(page, tg)
    assert await page.get_by_text("Вы вошли как Мария").count() == 1

    await page.get_by_role("link", name="Новая публикация").click()
    title = f"Слушания {HOSTILE}"
    await page.get_by_label("Заголовок (необязательно)").fill(title)
    await page.get_by_label("Текст", exact=True).fill(BODY)
    at = (utcnow() + timedelta(days=1)).astimezone(services.settings.tz)
    await page.get_by_label("Время публикации").fill(at.strftime("%Y-%m-%dT%H:%M"))
    await page.get_by_role("button", name="Предпросмотр").click()
    previews = page.locator("section.previews")
    assert await previews.get_by_role("heading", name="Telegram").count() == 1
    assert await previews.get_by_role("heading", name="ВКонтакте").count() == 1
    # Telegram's HTML keeps the bold; VK's plain text writes the link out.
    assert await previews.locator("b", has_text="публичные слушания").count() == 1
    assert await previews.get_by_text("Проект (https://town.example/project)").count() == 1
    assert await page.get_by_label("Заголовок (необязательно)").input_value() == title
    await inert(page, page_events)
    assert await axe(page) == []

    photo = tmp_path / "hall.png"
    photo.write_bytes(make_png())
    await page.get_by_label("Фотографии (до 10)").set_input_files(str(photo))
    await page.get_by_role("button", name="Опубликовать или запланировать").click()
    await page.wait_for_url("**/desk/posts/*")
    post_id = int(page.url.rsplit("/", 1)[1])
    assert await page.locator(".publications").get_by_text("запланирован").count() == 2
    await inert(page, page_events)

    # On the calendar, on its day, with its state on each platform.
    await page.goto(f"{web_running.url}/desk/calendar?view=month&date={at.date().isoformat()}")
    day = page.locator("td", has=page.locator(f"time[datetime='{at.date().isoformat()}']"))
    entry = day.locator("li.entry", has_text="Слушания")
    assert await entry.count() == 1
    assert await entry.get_by_text(at.strftime("%H:%M")).count() == 1
    assert await entry.locator("li.state-scheduled").count() == 2
    await inert(page, page_events)
    assert await axe(page) == []

    # Publish it now from its page: it reaches the channel and the wall.
    await entry.get_by_role("link").click()
    await page.get_by_role("button", name="Опубликовать сейчас").click()
    await wait_post(
        web_running.app,
        post_id,
        lambda p, pubs: (
            p.status is PostStatus.PUBLISHED
            and all(x.state is PublicationState.PUBLISHED for x in pubs)
        ),
        timeout=20,
    )
    assert any("публичные слушания" in (m.get("caption") or m.get("text") or "")
               for m in tg.messages(CHANNEL_ID))  # fmt: skip
    assert any("публичные слушания" in w["message"] for w in vk.wall_posts())
    await page.goto(f"{web_running.url}/desk/calendar?view=week&date={at.date().isoformat()}")
    entry = page.locator("li.entry", has_text="Слушания")
    assert await entry.locator("li.state-sent").count() == 2
    await inert(page, page_events)

    async with services.db.read() as conn:
        actions = [e["action"] for e in await audit.entries(conn, "post", post_id)]
    assert actions[:2] == ["post.create", "post.publish_now"]
    async with services.db.read() as conn:
        creator = next(iter(await audit.entries(conn, "post", post_id)))["actor"]
    assert creator == f"tg:{MODERATOR}"


async def test_calendar_month_and_week(
    web_running: RunningWeb,
    tg: FakeTelegram,
    page: Page,
    page_events: PageEvents,
    axe: Axe,
    screenshot: Shot,
) -> None:
    """Every post on its local day and time, whatever its state; drafts on their day."""
    services = web_running.services
    tz = services.settings.tz
    now = utcnow()
    published = await service.create_post(
        services, title="Итоги заседания думы", body=from_plain("Депутаты приняли бюджет."),
        created_by="test",
    )  # fmt: skip
    await wait_post(web_running.app, published, lambda p, _: p.status is PostStatus.PUBLISHED)
    planned = [
        ("Ярмарка выходного дня", timedelta(days=1, hours=2)),
        ("Отключение воды на Лесной", timedelta(days=2)),
        ("Приём граждан главой города", timedelta(days=3, hours=5)),
    ]
    for title, later in planned:
        await service.create_post(
            services, title=title, body=from_plain(title), at=now + later, created_by="test"
        )
    await service.create(
        services, title="Черновик: конкурс снежных фигур", body=from_plain("Текст позже."),
        created_by="test", draft=True,
    )  # fmt: skip
    await login(page, tg)
    today = now.astimezone(tz).date()
    for view in ("month", "week"):
        await page.goto(f"{web_running.url}/desk/calendar?view={view}&date={today.isoformat()}")
        done = page.locator("li.entry", has_text="Итоги заседания думы")
        assert await done.locator("li.state-sent").count() == 2
        draft = page.locator("li.entry", has_text="конкурс снежных фигур")
        assert await draft.locator("li.state-draft").count() == 2
        for title, later in planned:
            when = (now + later).astimezone(tz)
            day = page.locator("td", has=page.locator(f"time[datetime='{when.date()}']"))
            if await day.count() == 0:
                continue  # past the end of the period shown
            entry = day.locator("li.entry", has_text=title)
            assert await entry.get_by_text(when.strftime("%H:%M")).count() == 1, (view, title)
            assert await entry.locator("li.state-scheduled").count() == 2
        await inert(page, page_events)
        assert await axe(page) == []
        await screenshot(page, f"desk-calendar-{view}")


async def test_unknown_send_asks_before_sending_again(
    web_running: RunningWeb, tg: FakeTelegram, page: Page, page_events: PageEvents
) -> None:
    services = web_running.services
    tg.fail("sendMessage", "timeout_after_accept", chat_id="@town_news", delay=10)
    post_id = await service.create_post(
        services, body=from_plain("Пост с неясной судьбой."), platforms=["telegram"],
        created_by="test",
    )  # fmt: skip
    await wait_post(
        web_running.app,
        post_id,
        lambda p, pubs: bool(pubs) and pubs[0].state is PublicationState.UNKNOWN,
        timeout=20,
    )
    await login(page, tg)
    await page.goto(f"{web_running.url}/desk/posts/{post_id}")
    assert await page.get_by_text("неизвестно, вышел ли").count() == 1
    await page.get_by_role("link", name="Разобраться").click()
    assert await page.get_by_text("опубликует её ВТОРОЙ РАЗ").count() == 1
    before = len(tg.messages(CHANNEL_ID))
    await page.get_by_role("button", name="Публикации там нет").click()
    await wait_post(web_running.app, post_id, lambda p, _: p.status is PostStatus.PUBLISHED)
    assert len(tg.messages(CHANNEL_ID)) == before + 1
    async with services.db.read() as conn:
        entries = await audit.entries(conn)
    resolved = [e for e in entries if e["action"] == "post.unknown_resolved"]
    assert resolved[0]["actor"] == f"tg:{MODERATOR}"
    assert resolved[0]["details"] == {"delivered": False}
    await inert(page, page_events)


async def test_hotline_desk_is_inert_and_offers_the_digest(
    web_running: RunningWeb,
    tg: FakeTelegram,
    page: Page,
    page_events: PageEvents,
    axe: Axe,
    screenshot: Shot,
) -> None:
    services = web_running.services
    seeded = await closed_hotline(services)
    async with services.db.write() as conn:
        citizen = await citizens.get_or_create(conn, "telegram", "7302", display_name=HOSTILE)
        await questions_repo.add(
            conn, citizen_id=citizen.id, hotline_id=seeded.id, text=f"Ещё вопрос {HOSTILE}"
        )
    await login(page, tg)
    await page.locator("nav.desk-nav").get_by_role("link", name="Горячие линии").click()
    await page.wait_for_url("**/desk/hotlines")
    await inert(page, page_events)
    await page.get_by_role("link", name="Отопление").click()
    await page.wait_for_url(f"**/desk/hotlines/{seeded.id}")
    counts = page.locator("dl.counts")
    assert await counts.locator("dd").all_inner_texts() == ["5", "3", "0", "2"]
    assert await page.locator("ol.queue").get_by_text("Ещё вопрос").count() == 1
    chart = page.locator("svg[role='img']").first
    assert await chart.locator("title").text_content() == "Вопросы по дням"
    await inert(page, page_events)
    assert await axe(page) == []
    await screenshot(page, "desk-hotline")
    async with page.expect_download() as info:
        await page.get_by_role("link", name="Скачать дайджест (.docx)").click()
    download = await info.value
    assert download.suggested_filename == f"hotline-{seeded.id}-digest.docx"
    data = Path(await download.path()).read_bytes()
    assert data[:2] == b"PK"


async def test_delivery_health_masks_secrets(
    web_running: RunningWeb, tg: FakeTelegram, page: Page, page_events: PageEvents, axe: Axe
) -> None:
    services = web_running.services
    tg.fail(
        "sendMessage", "400", chat_id="@town_news", description=f"Bad Request {tg.token} {HOSTILE}"
    )
    post_id = await service.create_post(
        services, body=from_plain("Пост с ошибкой."), platforms=["telegram"], created_by="test"
    )
    await wait_post(web_running.app, post_id, lambda p, _: p.status is PostStatus.FAILED)
    await login(page, tg)
    await page.goto(f"{web_running.url}/desk/health")
    errors = page.locator("td.error-text")
    assert await errors.count() >= 1
    text = " ".join(await errors.all_inner_texts())
    assert "Bad Request" in text
    assert "<script>window.__pwned" in text  # shown as text
    assert tg.token not in await page.content()
    await inert(page, page_events)
    assert await axe(page) == []


async def test_editing_a_published_post_edits_it_everywhere(
    web_running: RunningWeb, tg: FakeTelegram, vk: FakeVK, page: Page, page_events: PageEvents
) -> None:
    services = web_running.services
    post_id = await service.create_post(
        services,
        title="Ремонт моста",
        body=from_markdown("Мост закроют **в субботу**."),
        created_by="test",
    )
    await wait_post(web_running.app, post_id, lambda p, _: p.status is PostStatus.PUBLISHED)
    await login(page, tg)
    await page.goto(f"{web_running.url}/desk/posts/{post_id}")
    await page.get_by_role("link", name="Изменить текст").click()
    text = page.get_by_label("Текст", exact=True)
    assert await text.input_value() == "Мост закроют **в субботу**."
    await text.fill(f"Мост закроют **в воскресенье**. {HOSTILE}")
    await page.get_by_role("button", name="Сохранить").click()
    await page.wait_for_url(f"**/desk/posts/{post_id}")
    await inert(page, page_events)

    def channel_says() -> bool:
        return any("в воскресенье" in (m.get("text") or "") for m in tg.messages(CHANNEL_ID))

    await wait(channel_says, timeout=20)
    await wait(lambda: any("в воскресенье" in w["message"] for w in vk.wall_posts()), timeout=20)
    async with services.db.read() as conn:
        edits = [
            e for e in await audit.entries(conn, "post", post_id) if e["action"] == "post.edit"
        ]
    assert [e["actor"] for e in edits] == [f"tg:{MODERATOR}"]


async def test_an_edit_vk_refused_is_shown_on_the_post_page_and_tried_again(
    web_running: RunningWeb,
    tg: FakeTelegram,
    vk: FakeVK,
    page: Page,
    page_events: PageEvents,
    axe: Axe,
) -> None:
    """VK refuses the new text (error 15): the post's page says so beside VK, in one line,
    with «Повторить»; pressing it edits the wall, and the line goes."""
    services = web_running.services
    post_id = await service.create_post(
        services, body=from_plain("Приём граждан 5 декабря."), created_by="test"
    )
    await wait_post(web_running.app, post_id, lambda p, _: p.status is PostStatus.PUBLISHED)
    vk.fail("wall.edit", 15)
    await service.edit(services, post_id, from_plain("Приём граждан перенесён на 6 декабря."), "t")
    await wait(lambda: len([c for c in vk.calls("wall.edit")]) == 1, timeout=20)
    await login(page, tg)

    async def refused_shown() -> bool:
        await page.goto(f"{web_running.url}/desk/posts/{post_id}")
        return await page.get_by_text("текст не изменён: площадка отказала").count() == 1

    await wait(refused_shown, timeout=20)
    await inert(page, page_events)
    assert await axe(page) == []
    await page.get_by_role("button", name="Повторить").click()
    await page.wait_for_url(f"**/desk/posts/{post_id}")
    await wait(lambda: "6 декабря" in vk.wall_posts()[0]["message"], timeout=20)

    async def line_gone() -> bool:
        await page.goto(f"{web_running.url}/desk/posts/{post_id}")
        return await page.get_by_text("текст не изменён").count() == 0

    await wait(line_gone, timeout=20)
    assert await page.get_by_role("button", name="Повторить").count() == 0
