"""The admin chat's moderator guard, and the preview's platform toggles, end to end."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from shared.domain import PostStatus, PublicationState
from shared.posts import repo
from shared.storage import audit
from shared.storage.engine import Database
from tests.fakes.telegram import FakeTelegram
from tests.fakes.vk import FakeVK
from tests.harness import ADMIN_CHAT, MODERATOR
from tests.posts_harness import (
    admin,
    buttons,
    channel,
    post_settings,
    running_app,
    wait_admin,
    wait_post,
)

STRANGER = 6101


async def denied(db: Database) -> list[dict[str, Any]]:
    async with db.read() as conn:
        return [e for e in await audit.entries(conn) if e["action"] == "denied"]


async def press(tg: FakeTelegram, user: int, message: dict[str, Any], label: str) -> None:
    """Press a button and wait until the bot has answered that press."""
    data = buttons(message)
    assert label in data, f"{label!r} not in {list(data)}"
    before = len(tg.answered_callbacks())
    tg.callback(user, message["message_id"], ADMIN_CHAT, data[label])
    await tg.wait_for(lambda: len(tg.answered_callbacks()) > before, timeout=10)


def preview(tg: FakeTelegram, post_id: int) -> dict[str, Any] | None:
    found = [m for m in admin(tg) if f"Пост №{post_id}" in (m.get("text") or "")]
    return found[-1] if found else None


async def test_non_moderator_post_is_refused_and_audited_once(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    tg.add_user(STRANGER, "Посторонний")
    async with running_app(post_settings(tmp_path, tg, vk)) as app:
        db = app.services.db
        tg.user_message(STRANGER, ADMIN_CHAT, text="/post Чужой пост")
        found = await _wait_denied(tg, db, 1)
        assert found[0]["actor"] == f"tg:{STRANGER}"
        assert found[0]["details"]["what"] == "post"

        # The moderator's own /post, handled after the stranger's, is a barrier: by the time
        # its preview is out, a second audit of the stranger's attempt would be written.
        tg.user_message(MODERATOR, ADMIN_CHAT, text="/post Пост пресс-службы")
        own = await wait_admin(tg, "Пост №1")
        assert "Пост пресс-службы" in own["text"]
        async with db.read() as conn:
            post = await repo.get(conn, 1)
        assert post.created_by == f"tg:{MODERATOR}"
        assert len(await denied(db)) == 1

        # A stranger's press on the preview changes nothing and is audited once too.
        await press(tg, STRANGER, own, "Опубликовать сейчас")
        found = await _wait_denied(tg, db, 2)
        assert found[1]["details"]["what"] == "post.publish"
        async with db.read() as conn:
            post = await repo.get(conn, 1)
        assert post.status is PostStatus.DRAFT
        assert not channel(tg)
        assert not vk.wall_posts()
        assert not [m for m in admin(tg) if "Чужой пост" in (m.get("text") or "")]


async def _wait_denied(tg: FakeTelegram, db: Database, count: int) -> list[dict[str, Any]]:
    latest: list[dict[str, Any]] = []

    async def enough() -> bool:
        latest[:] = await denied(db)
        return len(latest) >= count

    await _poll(enough)
    assert len(latest) == count, latest
    return latest


async def _poll(check: Any, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        if loop.time() > deadline:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.02)


async def test_platform_toggle_changes_where_a_post_is_published(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    async with running_app(post_settings(tmp_path, tg, vk)) as app:
        tg.user_message(MODERATOR, ADMIN_CHAT, text="/post Только в канал")
        shown = await wait_admin(tg, "Пост №1")
        assert {"✓ Telegram", "✓ VK"} <= set(buttons(shown))

        await press(tg, MODERATOR, shown, "✓ VK")
        toggled = await tg.wait_for(
            lambda: (m := preview(tg, 1)) is not None and "✗ VK" in buttons(m) and m
        )
        assert "✓ Telegram" in buttons(toggled)
        await wait_post(app, 1, lambda p, _: p.platforms == ["telegram"])

        await press(tg, MODERATOR, toggled, "Опубликовать сейчас")
        _, pubs = await wait_post(
            app, 1, lambda p, _: p.status is PostStatus.PUBLISHED, timeout=20
        )
        assert [(p.platform, p.state) for p in pubs] == [("telegram", PublicationState.PUBLISHED)]
        assert "Только в канал" in channel(tg)[0]["text"]
        assert not vk.wall_posts()
        assert not vk.calls("wall.post")
