"""The real app with its web part on, against the fakes, and the content the pages show."""

from __future__ import annotations

import contextlib
import secrets
import socket
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import update

from bots.app import App
from config import Settings
from shared.clock import utcnow
from shared.domain import HotlineStatus, PostKind, PostStatus
from shared.hotlines import campaigns, moderation
from shared.hotlines import questions as questions_repo
from shared.hotlines.model import Moderator
from shared.posts import service
from shared.posts.model import Post, Publication
from shared.richtext import from_markdown
from shared.services import Services
from shared.storage import citizens
from shared.storage.media import NewFile
from shared.storage.migrate import upgrade
from shared.storage.schema import citizens as citizens_table
from simulators.telegram import FakeTelegram
from simulators.vk import FakeVK
from tests.harness import MODERATOR, pdf_file, photo_file, settings_for
from tests.posts_harness import wait_post

# What an attacker would put in a title, a body or a citizen's question: each sets a flag
# on the page's window if the browser ever runs it.
SCRIPT = "<script>window.__pwned = 'script'</script>"
IMG = '"><img src=x onerror="window.__pwned = \'img\'">'
HOSTILE = f"{SCRIPT} {IMG}"
MOD = Moderator(MODERATOR, "Ольга", f"tg:{MODERATOR}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def web_settings(
    tmp_path: Path,
    tg: FakeTelegram | None,
    vk: FakeVK | None,
    web: dict[str, Any] | None = None,
    **overrides: Any,
) -> Settings:
    """Settings for the fakes with the web part on a free port (PUBLIC_URL is that port)."""
    port = free_port()
    values: dict[str, Any] = {
        "enabled": True,
        "host": "127.0.0.1",
        "port": port,
        "public_url": f"http://127.0.0.1:{port}",
        "secret_key": secrets.token_urlsafe(32),
        **(web or {}),
    }
    return settings_for(
        tmp_path,
        tg,
        vk,
        overrides={
            "scheduler": {"sync_seconds": 0.5},
            "outbox": {"poll_interval": 0.05, "backoff_base": 0.05, "backoff_max": 1.0},
            "web": values,
            **overrides,
        },
    )


@dataclass
class RunningWeb:
    """The app (bots, outbox, scheduler, web) and the address of its web server."""

    app: App

    @property
    def services(self) -> Services:
        return self.app.services

    @property
    def url(self) -> str:
        assert self.app.web is not None
        return self.app.web.url


@contextlib.asynccontextmanager
async def running_web(settings: Settings) -> AsyncIterator[RunningWeb]:
    app = App(settings)
    await app.start()
    try:
        yield RunningWeb(app)
    finally:
        await app.stop()


async def prepared(settings: Settings) -> Services:
    """Services on a migrated database, for seeding before the app starts."""
    services = Services.build(settings)
    await upgrade(services.db)
    return services


async def release(
    services: Services,
    *,
    title: str | None,
    body: str,
    media: Sequence[NewFile] = (),
    platforms: Sequence[str] = ("telegram", "vk"),
) -> int:
    """A release published at once (by the running app, to the fakes)."""
    return await service.create(
        services,
        title=title,
        body=from_markdown(body),
        kind=PostKind.PRESS_RELEASE,
        platforms=list(platforms),
        created_by="test",
        media=list(media),
    )


def _published(post: Post, pubs: list[Publication]) -> bool:
    return post.status is PostStatus.PUBLISHED and all(p.url for p in pubs)


async def wait_published(running: RunningWeb, post_id: int) -> tuple[Post, list[Publication]]:
    return await wait_post(running.app, post_id, _published, timeout=20)


@dataclass(frozen=True)
class SeededHotline:
    id: int
    published: list[str]
    unpublished: list[str]
    citizen_name: str


async def closed_hotline(
    services: Services, topic: str = "Отопление", hostile: str = HOSTILE
) -> SeededHotline:
    """A closed hotline: two answered questions marked for publication (the first carrying
    ``hostile``), one answered but not marked, one marked but unanswered."""
    now = utcnow()
    name = "Иннокентий Смоктуновский"
    async with services.db.write() as conn:
        hotline = await campaigns.create(
            conn,
            topic=topic,
            # Not started while it is seeded: a running app's planner would open it (and
            # the move to closed below would then find it open and do nothing).
            starts_at=now + timedelta(hours=1),
            ends_at=now + timedelta(hours=2),
            created_by="test",
        )
        citizen = await citizens.get_or_create(conn, "telegram", "7301")
        # The citizen consented, so their name is stored (and must still never be shown).
        await conn.execute(
            update(citizens_table)
            .where(citizens_table.c.id == citizen.id)
            .values(display_name=name, consent_at=now)
        )
        texts = [
            f"Когда дадут тепло? {hostile}".strip(),
            "Почему в подъезде холодно?",
            "Вопрос не для публикации",
            "Вопрос без ответа",
        ]
        ids = [
            await questions_repo.add(conn, citizen_id=citizen.id, hotline_id=hotline.id, text=t)
            for t in texts
        ]
    await moderation.answer(services, MOD, ids[0], f"Тепло дадут в понедельник. {hostile}".strip())
    await moderation.answer(services, MOD, ids[1], "Проверим утепление подъезда.")
    await moderation.answer(services, MOD, ids[2], "Ответ, который не публикуется")
    for marked in (ids[0], ids[1], ids[3]):
        await moderation.toggle_publishable(services, MOD, marked)
    async with services.db.write() as conn:
        closed = await campaigns.set_status(
            conn, hotline.id, HotlineStatus.CLOSED, expected=HotlineStatus.SCHEDULED
        )
        assert closed, "the hotline moved on while it was seeded"
        # It ran from three hours ago to one hour ago; its announcement and summary are not
        # what these tests read.
        await campaigns.mark(
            conn,
            hotline.id,
            starts_at=now - timedelta(hours=3),
            ends_at=now - timedelta(hours=1),
            announced=True,
            summary_sent=True,
        )
    return SeededHotline(
        id=hotline.id,
        published=texts[:2],
        unpublished=[*texts[2:], "Ответ, который не публикуется"],
        citizen_name=name,
    )


__all__ = ["pdf_file", "photo_file"]
