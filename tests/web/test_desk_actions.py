"""A post's actions from the desk over HTTP: reschedule, cancel, a refused action explained,
each through the posts service with the moderator as the actor in the audit log; a post
written in the admin chat and saved unchanged in the desk's editor stays as it was."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

import aiohttp

from bots.app import App
from shared.clock import utcnow
from shared.domain import PostStatus
from shared.posts import repo, service
from shared.richtext import from_plain
from shared.storage import audit
from simulators.telegram import FakeTelegram
from simulators.vk import FakeVK
from simulators.waiting import wait
from tests.harness import ADMIN_CHAT, MODERATOR
from tests.posts_harness import channel, press, remembered, wait_admin, wait_post
from tests.web.harness import RunningWeb
from tests.web.test_desk_login import logged_in


async def _csrf(session: aiohttp.ClientSession, url: str) -> str:
    async with session.get(url) as page:
        assert page.status == 200
        found = re.search(r'name="csrf" value="([^"]+)"', await page.text())
    assert found is not None
    return found.group(1)


async def test_reschedule_and_cancel_from_the_desk(
    web_running: RunningWeb, tg: FakeTelegram
) -> None:
    services = web_running.services
    tz = services.settings.tz
    post_id = await service.create_post(
        services,
        body=from_plain("Анонс концерта."),
        at=utcnow() + timedelta(days=2),
        created_by="test",
    )
    page = f"{web_running.url}/desk/posts/{post_id}"
    async with await logged_in(tg) as session:
        csrf = await _csrf(session, page)
        later = (utcnow() + timedelta(days=5)).astimezone(tz).replace(second=0, microsecond=0)
        async with session.post(
            f"{page}/reschedule",
            data={"csrf": csrf, "at": later.strftime("%Y-%m-%dT%H:%M")},
            allow_redirects=False,
        ) as response:
            assert response.status == 303
        async with services.db.read() as conn:
            post = await repo.get(conn, post_id)
        assert post.scheduled_at == later

        async with session.post(
            f"{page}/reschedule", data={"csrf": csrf, "at": "когда-нибудь"}
        ) as response:
            assert response.status == 409
            assert "когда-нибудь" in await response.text()

        async with session.post(
            f"{page}/cancel", data={"csrf": csrf}, allow_redirects=False
        ) as response:
            assert response.status == 303
        async with services.db.read() as conn:
            assert (await repo.get(conn, post_id)).status is PostStatus.CANCELLED

        # A cancelled post can't be published: the page says so, nothing is queued.
        async with session.post(f"{page}/publish", data={"csrf": csrf}) as response:
            assert response.status == 409
            assert 'role="alert"' in await response.text()
        async with services.db.read() as conn:
            assert (await repo.get(conn, post_id)).status is PostStatus.CANCELLED
            entries = await audit.entries(conn, "post", post_id)
    done = [(e["action"], e["actor"]) for e in entries if e["actor"] != "test"]
    assert done == [
        ("post.schedule", f"tg:{MODERATOR}"),
        ("post.cancel", f"tg:{MODERATOR}"),
    ]


async def test_editor_refuses_what_the_cli_refuses(
    web_running: RunningWeb, tg: FakeTelegram
) -> None:
    services = web_running.services
    new = f"{web_running.url}/desk/posts/new"
    async with await logged_in(tg) as session:
        csrf = await _csrf(session, new)

        def form(**fields: str) -> aiohttp.FormData:
            data = aiohttp.FormData()
            data.add_field("csrf", csrf)
            data.add_field("action", "schedule")
            data.add_field("text", "Текст")
            for name, value in fields.items():
                data.add_field(name, value)
            return data

        not_image = form(platforms="telegram")
        not_image.add_field("photos", b"not a png", filename="photo.png", content_type="image/png")
        past = (utcnow() - timedelta(days=1)).astimezone(services.settings.tz)
        cases = {
            "не изображение": not_image,
            "площадк": form(),  # no platform chosen
            "уже прошло": form(platforms="vk", at=past.strftime("%Y-%m-%dT%H:%M")),
        }
        for expected, data in cases.items():
            async with session.post(new, data=data) as response:
                body = await response.text()
                assert response.status == 400, expected
                assert expected in body, body
    async with services.db.read() as conn:
        assert await repo.recent(conn) == []


TEXTAREA = re.compile(r'<textarea id="text"[^>]*>(.*?)</textarea>', re.S)


async def _from_admin_chat(
    app: App, tg: FakeTelegram, text: str, entities: list[dict[str, Any]] | None = None
) -> None:
    """Post №1, written in the admin chat and published at once."""
    tg.user_message(MODERATOR, ADMIN_CHAT, text=text, entities=entities or [])
    preview = await wait_admin(tg, "Пост №1")
    await remembered(app, preview)
    await press(tg, MODERATOR, preview, "Опубликовать сейчас")
    await wait_post(app, 1, lambda p, pubs: p.status is PostStatus.PUBLISHED)


async def _save_unchanged(session: aiohttp.ClientSession, url: str, post_id: int) -> None:
    """Open the post in the desk's editor and save the text it shows as it is."""
    page = f"{url}/desk/posts/{post_id}/edit"
    async with session.get(page) as response:
        body = await response.text()
    found = TEXTAREA.search(body)
    csrf = re.search(r'name="csrf" value="([^"]+)"', body)
    assert found is not None
    assert csrf is not None
    data = aiohttp.FormData()
    data.add_field("csrf", csrf.group(1))
    data.add_field("action", "save")
    data.add_field("title", "")
    data.add_field("text", html.unescape(found.group(1)))
    async with session.post(page, data=data, allow_redirects=False) as response:
        assert response.status == 303, await response.text()


async def _edits(web: RunningWeb, post_id: int) -> list[dict[str, Any]]:
    async with web.services.db.read() as conn:
        return [e for e in await audit.entries(conn, "post", post_id) if e["action"] == "post.edit"]


async def test_numbered_lines_from_the_chat_are_not_edited_by_an_unchanged_save(
    web_running: RunningWeb, tg: FakeTelegram
) -> None:
    """The editor escapes "1. " as "1\\. ": no backslash reaches readers, nothing is edited."""
    await _from_admin_chat(web_running.app, tg, "/post Порядок приёма:\n1. Запись\n2. Приём")
    [message] = channel(tg)
    assert "1. Запись" in message["text"]
    async with await logged_in(tg) as session:
        await _save_unchanged(session, web_running.url, 1)
    async with web_running.services.db.read() as conn:
        post = await repo.get(conn, 1)
    assert post.body.plain == "Порядок приёма:\n1. Запись\n2. Приём"
    assert await _edits(web_running, 1) == []


async def test_cyrillic_link_from_the_chat_is_not_edited_by_an_unchanged_save(
    web_running: RunningWeb, tg: FakeTelegram, vk: FakeVK
) -> None:
    """The address is kept as written, not punycoded: the save changes nothing, VK shows none."""
    # "сайте" is a text link to a Cyrillic address, as Telegram sends it.
    entities = [{"type": "text_link", "offset": 21, "length": 5, "url": "https://мэрия.рф/"}]
    await _from_admin_chat(web_running.app, tg, "/post Подробности на сайте", entities)
    async with await logged_in(tg) as session:
        await _save_unchanged(session, web_running.url, 1)
    assert await _edits(web_running, 1) == []
    await wait(lambda: vk.wall_posts())
    assert vk.wall_posts()[0]["message"] == "Подробности на сайте (https://мэрия.рф/)"
