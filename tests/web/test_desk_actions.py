"""A post's actions from the desk over HTTP: reschedule, cancel, a refused action explained,
each through the posts service with the moderator as the actor in the audit log; a post
written in the admin chat and saved unchanged in the desk's editor stays as it was."""

from __future__ import annotations

import html
import io
import re
from datetime import date, timedelta
from typing import Any

import aiohttp
from PIL import Image

from bots.app import App
from shared.clock import utcnow
from shared.domain import PostStatus
from shared.posts import repo, service
from shared.richtext import from_plain
from shared.storage import audit
from shared.storage import media as media_repo
from shared.storage.media import MediaOwner
from simulators.telegram import FakeTelegram
from simulators.vk import FakeVK
from simulators.waiting import wait
from tests.harness import ADMIN_CHAT, MODERATOR
from tests.posts_harness import channel, press, remembered, wait_admin, wait_post
from tests.web.harness import RunningWeb, wait_published
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


async def test_a_post_published_now_is_on_the_day_it_went_out(
    web_running: RunningWeb, tg: FakeTelegram
) -> None:
    """Planned for later and published now from the desk: the calendar shows it on the day
    it went out, and its page says when it went out and when it had been planned for."""
    services = web_running.services
    tz = services.settings.tz
    later = utcnow() + timedelta(days=10)
    post_id = await service.create_post(
        services, body=from_plain("Анонс концерта."), at=later, created_by="test"
    )
    base = web_running.url
    link = f'href="/desk/posts/{post_id}"'
    async with await logged_in(tg) as session:

        async def week_of(day: date) -> str:
            async with session.get(f"{base}/desk/calendar?view=week&date={day}") as r:
                assert r.status == 200
                return await r.text()

        assert link in await week_of(later.astimezone(tz).date())
        csrf = await _csrf(session, f"{base}/desk/posts/{post_id}")
        async with session.post(
            f"{base}/desk/posts/{post_id}/publish", data={"csrf": csrf}, allow_redirects=False
        ) as response:
            assert response.status == 303
        post, _ = await wait_post(
            web_running.app, post_id, lambda p, pubs: p.published_at is not None
        )
        assert post.published_at is not None
        went_out = post.published_at.astimezone(tz)
        assert link in await week_of(went_out.date())
        assert link not in await week_of(later.astimezone(tz).date())
        async with session.get(f"{base}/desk/posts/{post_id}") as r:
            page = await r.text()
    assert f'<time datetime="{post.published_at.isoformat()}">' in page
    assert went_out.strftime("%d.%m.%Y %H:%M") in page
    assert "Была запланирована на" in page
    assert later.astimezone(tz).strftime("%d.%m.%Y %H:%M") in page


async def test_impossible_ids_and_calendar_dates_are_refused_not_errors(
    web_running: RunningWeb, tg: FakeTelegram
) -> None:
    """Ids no database row can have answer 404; days the calendar cannot show answer 400
    with a Russian message; nothing is a server error."""
    base = web_running.url
    huge = "99999999999999999999999"
    expected = {
        f"/desk/posts/{huge}": 404,
        f"/desk/posts/{huge}/edit": 404,
        f"/desk/posts/{huge}/unknown/{huge}": 404,
        f"/desk/hotlines/{huge}": 404,
        f"/desk/hotlines/{huge}/digest.docx": 404,
        "/desk/posts/9223372036854775808": 404,
        "/desk/posts/٣": 404,
        "/desk/calendar?date=9999-12-31": 400,
        "/desk/calendar?date=9999-12-31&view=week": 400,
        "/desk/calendar?date=0001-01-01&view=week": 400,
        "/desk/calendar?date=0001-01-01": 400,
        "/desk/calendar?date=2024-02-30": 400,
        "/desk/calendar?view=year": 400,
        "/desk/calendar?date=1900-01-01&view=week": 200,
        "/desk/calendar?date=9998-12-31": 200,
    }
    async with await logged_in(tg) as session:
        seen = {}
        for path in expected:
            async with session.get(base + path, allow_redirects=False) as response:
                seen[path] = response.status
                body = await response.text()
                if response.status == 400:
                    assert response.content_type == "text/html"
                    assert "Календарь" in body, path
                    assert response.headers["X-Content-Type-Options"] == "nosniff"
        csrf = await _csrf(session, f"{base}/desk/calendar")
        async with session.post(
            f"{base}/desk/posts/{huge}/publish", data={"csrf": csrf}, allow_redirects=False
        ) as response:
            seen[f"POST /desk/posts/{huge}/publish"] = response.status
    assert seen == {**expected, f"POST /desk/posts/{huge}/publish": 404}


def mpo_photo() -> bytes:
    """A camera JPEG with a second picture (MPO), as many phones and cameras write them."""
    out = io.BytesIO()
    first, second = Image.new("RGB", (64, 48), (200, 30, 30)), Image.new("RGB", (64, 48))
    first.save(out, "MPO", save_all=True, append_images=[second])
    return out.getvalue()


async def test_a_camera_jpeg_is_stored_and_served_as_a_jpeg(
    web_running: RunningWeb, tg: FakeTelegram
) -> None:
    """Pillow reads many cameras' JPEGs as MPO; browsers and feeds know them as image/jpeg."""
    data = mpo_photo()
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "MPO"
    new = f"{web_running.url}/desk/posts/new"
    async with await logged_in(tg) as session:
        form = aiohttp.FormData()
        form.add_field("csrf", await _csrf(session, new))
        form.add_field("action", "schedule")
        form.add_field("title", "Субботник")
        form.add_field("text", "Фото с субботника")
        form.add_field("platforms", "vk")
        form.add_field("photos", data, filename="IMG_0001.JPG", content_type="image/jpeg")
        async with session.post(new, data=form, allow_redirects=False) as response:
            assert response.status == 303, await response.text()
            post_id = int(response.headers["Location"].rsplit("/", 1)[1])
    await wait_published(web_running, post_id)
    async with web_running.services.db.read() as conn:
        [stored] = await media_repo.of(conn, MediaOwner.POST, post_id)
    assert stored.mime == "image/jpeg"
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{web_running.url}/releases/{post_id}") as page:
            found = re.search(r'<img src="([^"]+)"', await page.text())
        assert found is not None
        async with http.get(f"{web_running.url}{found.group(1)}") as photo:
            assert photo.status == 200
            assert photo.content_type == "image/jpeg"
            assert await photo.read() == data


async def test_the_desk_digest_counts_for_retention_and_is_not_made_empty(
    web_running: RunningWeb, tg: FakeTelegram
) -> None:
    """The desk's Word file is the digest as `/digest` makes it: recorded as
    ``hotline.digest`` (retention counts from the last one); a hotline with nothing to
    publish offers no download, and asked anyway, the page says why instead of a file."""
    from shared.hotlines import campaigns, retention
    from tests.web.harness import closed_hotline

    services = web_running.services
    seeded = await closed_hotline(services)
    async with services.db.write() as conn:
        now = utcnow()
        empty = await campaigns.create(
            conn, topic="Пустая", starts_at=now + timedelta(hours=1),
            ends_at=now + timedelta(hours=2), created_by="test",
        )  # fmt: skip
    base = web_running.url
    async with await logged_in(tg) as session:
        async with session.get(f"{base}/desk/hotlines/{seeded.id}/digest.docx") as r:
            assert r.status == 200
            assert (await r.read())[:2] == b"PK"
        async with session.get(f"{base}/desk/hotlines/{empty.id}") as r:
            shown = html.unescape(await r.text())
        assert "digest.docx" not in shown
        assert "пока нет отвеченных вопросов с отметкой «Для публикации»" in shown
        async with session.get(f"{base}/desk/hotlines/{empty.id}/digest.docx") as r:
            assert r.status == 409
            assert "пока нет отвеченных вопросов" in html.unescape(await r.text())
    async with services.db.read() as conn:
        assert await retention.digest_made(conn, seeded.id) is not None
        assert await retention.digest_made(conn, empty.id) is None
