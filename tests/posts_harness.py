"""Helpers for the press-release tests: a running app on the fakes, buttons, the channel."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from bots.app import App
from config import Settings
from shared.posts import repo
from shared.posts.model import Post, Publication
from simulators.telegram import FakeTelegram
from simulators.vk import FakeVK
from simulators.waiting import wait
from tests.harness import ADMIN_CHAT, CHANNEL_ID, settings_for

NO_QUIET = {"quiet_hours_start": None, "quiet_hours_end": None, "album_wait_seconds": 1.0}


def post_settings(
    tmp_path: Path,
    tg: FakeTelegram | None,
    vk: FakeVK | None,
    publishing: dict[str, Any] | None = None,
    **overrides: Any,
) -> Settings:
    return settings_for(
        tmp_path,
        tg,
        vk,
        overrides={
            "publishing": {**NO_QUIET, **(publishing or {})},
            "scheduler": {"sync_seconds": 0.5},
            **overrides,
        },
    )


@contextlib.asynccontextmanager
async def running_app(settings: Settings) -> AsyncIterator[App]:
    app = App(settings)
    await app.start()
    try:
        yield app
    finally:
        await app.stop()


def channel(tg: FakeTelegram) -> list[dict[str, Any]]:
    return [m for m in tg.messages(CHANNEL_ID) if not m["deleted"]]


def admin(tg: FakeTelegram) -> list[dict[str, Any]]:
    return tg.messages(ADMIN_CHAT)


def buttons(message: dict[str, Any]) -> dict[str, str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return {b["text"]: b.get("callback_data", "") for row in rows for b in row}


async def wait_admin(tg: FakeTelegram, needle: str, timeout: float = 10.0) -> dict[str, Any]:
    """The latest admin-chat message whose (possibly edited) text contains ``needle``."""

    def find() -> dict[str, Any] | None:
        for m in reversed(admin(tg)):
            if needle in (m.get("text") or m.get("caption") or ""):
                return m
        return None

    return await wait(find, timeout)


async def press(tg: FakeTelegram, user: int, message: dict[str, Any], label: str) -> None:
    data = buttons(message)
    assert label in data, f"{label!r} not in {list(data)}"
    tg.callback(user, message["message_id"], ADMIN_CHAT, data[label])
    await tg.wait_for(lambda: len(tg.answered_callbacks()) > 0, timeout=5)


async def wait_post(
    settings_app: App, post_id: int, predicate: Any, timeout: float = 15.0
) -> tuple[Post, list[Publication]]:
    db = settings_app.services.db
    seen: list[Any] = []

    async def reached() -> tuple[Post, list[Publication]] | None:
        async with db.read() as conn:
            post = await repo.get(conn, post_id)
            pubs = await repo.publications_of(conn, post_id)
        seen[:] = [post.status, pubs]
        return (post, pubs) if predicate(post, pubs) else None

    return await wait(reached, timeout, interval=0.05, describe=lambda: (post_id, *seen))


async def remembered(app: App, message: dict[str, Any], timeout: float = 5.0) -> None:
    """Wait until the app has recorded one of its admin-chat messages (a person is slower)."""

    async def recorded() -> bool:
        async with app.services.db.read() as conn:
            return bool(await repo.message_role(conn, ADMIN_CHAT, message["message_id"]))

    await wait(recorded, timeout, describe=lambda: f"message {message['message_id']} unrecorded")
