"""What is public, over HTTP on both engines: a release while it is out anywhere (a retry of
the platforms that refused it included), never a draft, a first send still under way, a
release that failed everywhere or a deleted one; a hotline that took place, never one
called off; a file under its own name only.

The first test runs the whole app against the fake Telegram and VK; the others seed the
tables through the services and read the pages with an HTTP client.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree

import aiohttp
import pytest
from pydantic import ValidationError

from config.settings import Settings
from shared.clock import utcnow
from shared.domain import HotlineStatus, PostStatus, PublicationState
from shared.hotlines import campaigns, drafts
from shared.posts import repo, service
from shared.services import Services
from shared.storage import audit, media
from shared.storage.media import MediaOwner
from shared.storage.schema import hotlines
from simulators.telegram import FakeTelegram
from simulators.vk import FakeVK
from tests.harness import CHANNEL, pdf_file, photo_file
from tests.posts_harness import wait_post
from tests.web import test_public_pages as pages
from tests.web.harness import release, running_web, web_settings
from tests.web.test_public_pages import PUBLIC_URL, Client, published, text
from web.archive import NOT_HELD_ACTION

services = pages.services  # the fixtures: settings for the fakes, an HTTP client on the app
client = pages.client

SITEMAP = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


async def _public_everywhere(http: aiohttp.ClientSession, url: str, post_id: int) -> list[str]:
    """Where the release shows: its page, the archive, the feeds, the sitemap."""
    shows = []
    async with http.get(f"{url}/releases/{post_id}") as r:
        if r.status == 200:
            shows.append("page")
    for path in ("/", "/feed.rss", "/feed.atom", "/sitemap.xml"):
        async with http.get(f"{url}{path}") as r:
            if f"/releases/{post_id}<" in (await r.text()).replace('"', "<"):
                shows.append(path)
    return shows


EVERYWHERE = ["page", "/", "/feed.rss", "/feed.atom", "/sitemap.xml"]


async def test_a_release_stays_public_while_a_refused_platform_is_retried(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    """Out on VK, refused by Telegram: retrying Telegram (busy, 429) keeps the release on
    the archive, since it is on the VK wall all along; deleting it takes it off at once."""
    tg.fail("sendMessage", "400", chat_id=CHANNEL, description="Bad Request: chat not found")
    async with running_web(web_settings(tmp_path, tg, vk)) as running:
        post_id = await release(
            running.services, title="Ремонт моста", body="Мост закроют на ремонт в субботу."
        )
        await wait_post(
            running.app, post_id, lambda p, _: p.status is PostStatus.PARTLY_PUBLISHED, timeout=20
        )
        async with aiohttp.ClientSession() as http:
            assert await _public_everywhere(http, running.url, post_id) == EVERYWHERE

            tg.fail("sendMessage", "429", chat_id=CHANNEL, retry_after=60)
            await service.retry(running.services, post_id, "test")
            post, _ = await wait_post(
                running.app,
                post_id,
                lambda p, pubs: any(
                    x.platform == "telegram" and x.state is PublicationState.PENDING for x in pubs
                ),
                timeout=20,
            )
            assert post.status is PostStatus.PUBLISHING
            assert await _public_everywhere(http, running.url, post_id) == EVERYWHERE

            await service.delete(running.services, post_id, "test")
            assert await _public_everywhere(http, running.url, post_id) == []
        assert vk.wall_posts(), "it was on the VK wall"


async def _set(services: Services, post_id: int, status: PostStatus, out: bool) -> None:
    async with services.db.write() as conn:
        await repo.set_fields(
            conn,
            post_id,
            status=status,
            published_at=utcnow() - timedelta(hours=1) if out else None,
        )


async def test_only_releases_out_somewhere_are_public(services: Services, client: Client) -> None:
    """Public: published, partly published, publishing again after coming out. Hidden: a
    draft, a first send under way, failed everywhere, deleted (cancelled) after coming out."""
    shown, hidden = {}, {}
    for name, status, out in [
        ("Опубликован", PostStatus.PUBLISHED, True),
        ("Частично", PostStatus.PARTLY_PUBLISHED, True),
        ("Повтор", PostStatus.PUBLISHING, True),
    ]:
        shown[name] = await published(services, name, "Текст", media=[photo_file(), pdf_file()])
        await _set(services, shown[name], status, out)
    for name, status, out in [
        ("Черновик", PostStatus.DRAFT, False),
        ("Отправляется", PostStatus.PUBLISHING, False),
        ("Провал", PostStatus.FAILED, False),
        ("Удалён", PostStatus.CANCELLED, True),
    ]:
        hidden[name] = await release(services, title=name, body="Текст", media=[photo_file()])
        await _set(services, hidden[name], status, out)

    pages = "".join(
        [await text(client, path) for path in ("/", "/?page=2", "/feed.rss", "/sitemap.xml")]
        + [await text(client, "/search?q=текст&page=" + n) for n in ("1", "2")]
    )
    for name, post_id in shown.items():
        assert name in pages
        await text(client, f"/releases/{post_id}")
        for item in await _files(services, post_id):
            assert (await client.get(f"/files/{item.id}/{item.filename}")).status == 200
    for name, post_id in hidden.items():
        assert name not in pages
        await text(client, f"/releases/{post_id}", status=404)
        for item in await _files(services, post_id):
            assert (await client.get(f"/files/{item.id}/{item.filename}")).status == 404


async def _files(services: Services, post_id: int) -> list[media.Media]:
    async with services.db.read() as conn:
        return await media.of(conn, MediaOwner.POST, post_id)


async def test_a_called_off_hotline_is_not_public(services: Services, client: Client) -> None:
    """Closed a week before its start (``/close_hotline``), a hotline never took place: not
    listed among past hotlines, no page, and no sitemap date in the future; nor one whose
    hours passed while the app was down (the planner records it as not held). One closed
    early, after it started, is listed, with its sitemap date no later than now."""
    now = utcnow()
    async with services.db.write() as conn:
        off = await campaigns.create(
            conn,
            topic="Капремонт домов",
            starts_at=now + timedelta(days=7),
            ends_at=now + timedelta(days=7, hours=2),
            created_by="test",
        )
        early = await campaigns.create(
            conn,
            topic="Вывоз мусора",
            starts_at=now - timedelta(minutes=30),
            ends_at=now + timedelta(hours=2),
            created_by="test",
        )
        assert await campaigns.set_status(
            conn, early.id, HotlineStatus.OPEN, expected=HotlineStatus.SCHEDULED
        )
        missed = (  # as the planner leaves it: closed after its end, never opened
            await conn.execute(
                hotlines.insert()
                .values(
                    topic="Ремонт дорог",
                    starts_at=now - timedelta(days=2),
                    ends_at=now - timedelta(days=2) + timedelta(hours=2),
                    status=HotlineStatus.CLOSED.value,
                    created_by="test",
                    created_at=now - timedelta(days=3),
                )
                .returning(hotlines.c.id)
            )
        ).scalar_one()
        await audit.record(conn, "scheduler", "hotline.close", "hotline", missed)
        await audit.record(conn, "scheduler", NOT_HELD_ACTION, "hotline", missed)
    await drafts.close(services, "tg:5001", off.id)
    await drafts.close(services, "tg:5001", early.id)

    listing = await text(client, "/hotlines")
    assert "Капремонт домов" not in listing
    assert "Ремонт дорог" not in listing
    assert "Вывоз мусора" in listing
    await text(client, f"/hotlines/{off.id}", status=404)
    await text(client, f"/hotlines/{missed}", status=404)
    await text(client, f"/hotlines/{early.id}")
    sitemap = ElementTree.fromstring(await text(client, "/sitemap.xml"))
    dates = {
        (u.findtext("s:loc", namespaces=SITEMAP) or ""): u.findtext("s:lastmod", namespaces=SITEMAP)
        for u in sitemap.iterfind("s:url", SITEMAP)
    }
    assert f"{PUBLIC_URL}/hotlines/{off.id}" not in dates
    lastmods = [
        datetime.strptime(d, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) for d in dates.values() if d
    ]
    assert lastmods
    assert max(lastmods) <= utcnow(), lastmods


async def test_a_file_is_served_under_its_own_name_only(services: Services, client: Client) -> None:
    """/files/N/<any name> would hand out the office's PDF as «Приказ.exe»: another name
    redirects to the file's own; its own name (spaces, Cyrillic) is served."""
    post_id = await published(services, "Приказ", "Текст", media=[pdf_file("Приказ №5.pdf")])
    (item,) = await _files(services, post_id)
    for name in ("Приказ.exe", "p.pdf", "%D0%9F.pdf"):
        response = await client.get(f"/files/{item.id}/{name}", allow_redirects=False)
        assert response.status == 301, name
        assert response.headers["Location"] == f"{PUBLIC_URL}/files/{item.id}/" + (
            "%D0%9F%D1%80%D0%B8%D0%BA%D0%B0%D0%B7%20%E2%84%965.pdf"
        )
        assert not response.content_type.startswith("application/")
    response = await client.get(f"/files/{item.id}/Приказ №5.pdf", allow_redirects=False)
    assert response.status == 200
    assert (await response.read()).startswith(b"%PDF")


@pytest.mark.parametrize("size", ["0", "-5"])
def test_a_page_size_below_one_is_refused(size: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """GLASHATAI_WEB__PAGE_SIZE=0 made every archive and search page a 500: it is refused
    when the settings load (``glashatai check`` says so)."""
    monkeypatch.setenv("GLASHATAI_WEB__PAGE_SIZE", size)
    with pytest.raises(ValidationError, match="page_size"):
        Settings()
