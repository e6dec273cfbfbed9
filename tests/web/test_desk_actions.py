"""A post's actions from the desk over HTTP: reschedule, cancel, a refused action explained,
each through the posts service with the moderator as the actor in the audit log."""

from __future__ import annotations

import re
from datetime import timedelta

import aiohttp

from shared.clock import utcnow
from shared.domain import PostStatus
from shared.posts import repo, service
from shared.richtext import from_plain
from shared.storage import audit
from simulators.telegram import FakeTelegram
from tests.harness import MODERATOR
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
