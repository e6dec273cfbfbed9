"""The admin chat's moderator guard, and the preview's platform toggles, end to end."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shared.domain import PostStatus, PublicationState
from shared.posts import repo
from shared.storage import audit
from shared.storage.engine import Database
from simulators.telegram import FakeTelegram
from simulators.vk import FakeVK
from simulators.waiting import wait
from tests.harness import ADMIN_CHAT, MODERATOR
from tests.hotline_harness import handled_updates
from tests.posts_harness import admin, buttons, channel, post_settings, running_app, wait_admin

STRANGER = 6101
NOT_ALLOWED = "Это действие вам недоступно."


async def denied(db: Database) -> list[dict[str, Any]]:
    async with db.read() as conn:
        return [e for e in await audit.entries(conn) if e["action"] == "denied"]


def preview(tg: FakeTelegram, post_id: int) -> dict[str, Any] | None:
    found = [m for m in admin(tg) if f"Пост №{post_id}" in (m.get("text") or "")]
    return found[-1] if found else None


def press(tg: FakeTelegram, user: int, message: dict[str, Any], label: str) -> dict[str, Any]:
    """Press a preview button; returns the update."""
    data = buttons(message)
    assert label in data, f"{label!r} not in {list(data)}"
    return tg.callback(user, message["message_id"], ADMIN_CHAT, data[label])


async def test_non_moderator_post_is_refused_and_audited_once(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    tg.add_user(STRANGER, "Посторонний")
    async with running_app(post_settings(tmp_path, tg, vk)) as app:
        db = app.services.db
        with handled_updates() as handled:
            attempt = tg.user_message(STRANGER, ADMIN_CHAT, text="/post Чужой пост")
            await wait(lambda: handled.all([attempt]))
        found = await denied(db)
        assert [(e["actor"], e["details"]["what"]) for e in found] == [(f"tg:{STRANGER}", "post")]
        async with db.read() as conn:
            assert await repo.recent(conn) == []

        tg.user_message(MODERATOR, ADMIN_CHAT, text="/post Пост пресс-службы")
        own = await wait_admin(tg, "Пост №1")
        assert "Пост пресс-службы" in own["text"]

        # A stranger's press on the preview: a "not allowed" toast, nothing done, one audit.
        with handled_updates() as handled:
            attempt = press(tg, STRANGER, own, "Опубликовать сейчас")
            await wait(lambda: handled.all([attempt]))
        query = attempt["callback_query"]["id"]
        answers = [a for a in tg.answered_callbacks() if a["callback_query_id"] == query]
        assert [a["text"] for a in answers] == [NOT_ALLOWED]
        found = await denied(db)
        assert [e["details"]["what"] for e in found] == ["post", "post.publish"]
        async with db.read() as conn:
            post = await repo.get(conn, 1)
        assert post.created_by == f"tg:{MODERATOR}"
        assert post.status is PostStatus.DRAFT
        assert not channel(tg)
        assert not vk.wall_posts()
        assert not [m for m in admin(tg) if "Чужой пост" in (m.get("text") or "")]


async def test_platform_toggle_changes_where_a_post_is_published(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    async with running_app(post_settings(tmp_path, tg, vk)) as app:
        db = app.services.db
        tg.user_message(MODERATOR, ADMIN_CHAT, text="/post Только в канал")
        shown = await wait_admin(tg, "Пост №1")
        assert {"✓ Telegram", "✓ VK"} <= set(buttons(shown))

        press(tg, MODERATOR, shown, "✓ VK")
        toggled = await wait(
            lambda: (m := preview(tg, 1)) is not None and "✗ VK" in buttons(m) and m
        )
        assert "✓ Telegram" in buttons(toggled)

        async def published() -> bool:
            async with db.read() as conn:
                return (await repo.get(conn, 1)).status is PostStatus.PUBLISHED

        press(tg, MODERATOR, toggled, "Опубликовать сейчас")
        await wait(published, timeout=20)
        async with db.read() as conn:
            post = await repo.get(conn, 1)
            pubs = await repo.publications_of(conn, 1)
        assert post.platforms == ["telegram"]
        assert [(p.platform, p.state) for p in pubs] == [("telegram", PublicationState.PUBLISHED)]
        assert "Только в канал" in channel(tg)[0]["text"]
        assert not vk.wall_posts()
        assert not vk.calls("wall.post")
