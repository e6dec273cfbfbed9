"""Press releases authored in the Telegram admin chat, end to end on the fakes."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from shared.clock import utcnow
from shared.domain import PostStatus, PublicationState
from shared.posts import service
from shared.posts.model import OWNER
from shared.storage import media as media_repo
from simulators.telegram import FakeTelegram, make_png
from simulators.vk import FakeVK
from tests.harness import ADMIN_CHAT, CHANNEL_ID, MODERATOR
from tests.posts_harness import (
    admin,
    channel,
    post_settings,
    press,
    remembered,
    running_app,
    wait_admin,
    wait_post,
)


def paragraph(n: int, size: int) -> str:
    words = []
    while sum(len(w) + 1 for w in words) < size:
        words.append(f"слово{n}-{len(words)}")
    return " ".join(words) + "."


def published(post, pubs) -> bool:  # type: ignore[no-untyped-def]
    return post.status is PostStatus.PUBLISHED


async def test_album_and_6000_characters_from_the_admin_chat(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    first = paragraph(1, 700)
    second = "\n\n".join(paragraph(n, 900) for n in range(2, 6))
    third = "\n\n".join(paragraph(n, 800) for n in range(6, 9))
    settings = post_settings(tmp_path, tg, vk)
    async with running_app(settings) as app:
        caption = "/post " + first
        for index in range(3):
            tg.user_message(
                MODERATOR,
                ADMIN_CHAT,
                photo=make_png(20 + index, 20),
                caption=caption if index == 0 else None,
                entities=None,
                media_group_id="album-1",
            )
        preview = await wait_admin(tg, "Пост №1")
        assert "черновик" in preview["text"]
        assert "фото — 3" in preview["text"]
        assert not channel(tg)
        assert not vk.wall_posts()

        await press(tg, MODERATOR, preview, "Дополнить текст")
        prompt = await wait_admin(tg, "добавить в конец поста №1")
        await remembered(app, prompt)
        tg.user_message(
            MODERATOR, ADMIN_CHAT, text=second, reply_to_message_id=prompt["message_id"]
        )
        await wait_post(app, 1, lambda p, _: p.version == 2)
        preview = await wait_admin(tg, "Пост №1")
        await press(tg, MODERATOR, preview, "Дополнить текст")

        def prompts() -> list[dict[str, Any]]:
            return [m for m in admin(tg) if "добавить в конец" in (m.get("text") or "")]

        await tg.wait_for(lambda: len(prompts()) == 2)
        prompt = prompts()[-1]
        await remembered(app, prompt)
        tg.user_message(MODERATOR, ADMIN_CHAT, text=third, reply_to_message_id=prompt["message_id"])
        _, _ = await wait_post(app, 1, lambda p, _: p.version == 3)

        preview = await wait_admin(tg, "Пост №1")
        await press(tg, MODERATOR, preview, "Запланировать")
        prompt = await wait_admin(tg, "Когда опубликовать пост №1")
        await remembered(app, prompt)
        tg.user_message(
            MODERATOR, ADMIN_CHAT, text="завтра 9:00", reply_to_message_id=prompt["message_id"]
        )
        post, _ = await wait_post(app, 1, lambda p, _: p.status is PostStatus.SCHEDULED)
        assert post.scheduled_at is not None
        assert post.scheduled_at > utcnow()
        assert len(post.body.plain) > 6000

        # Bring the due time close so the test does not wait for tomorrow morning.
        await service.schedule(app.services, 1, utcnow() + timedelta(seconds=2), "test")
        post, pubs = await wait_post(app, 1, published, timeout=20)
        due = post.scheduled_at
        assert due is not None

        messages = channel(tg)
        photos = [m for m in messages if m.get("photo")]
        texts = [m for m in messages if m.get("text")]
        assert len(photos) == 3
        assert {m.get("media_group_id") for m in photos} != {None}
        assert len(texts) == 2
        shown = "\n\n".join(m["text"] for m in texts)
        for piece in (first, second, third):
            for para in piece.split("\n\n"):
                assert para in shown
                assert para in vk.wall_posts()[0]["message"]
        wall = vk.wall_posts()
        assert len(wall) == 1
        assert len(wall[0]["attachments"]) == 3
        urls = {p.platform: p.url for p in pubs}
        assert urls["telegram"] == f"https://t.me/town_news/{photos[0]['message_id']}"
        assert urls["vk"] == f"https://vk.com/wall-{vk.group_id}_{wall[0]['id']}"
        assert all(p.state is PublicationState.PUBLISHED for p in pubs)
        async with app.services.db.read() as conn:
            items = await media_repo.of(conn, OWNER, 1)
        assert len(items) == 3
        assert all(m.data for m in items)

        # The preview is edited once per platform's outcome; the admin chat is paced.
        preview = await wait_admin(tg, urls["vk"], timeout=60)
        assert urls["telegram"] in preview["text"]
    # exactly once, also after everything settled
    assert len(vk.wall_posts()) == 1
    assert len(channel(tg)) == 5
    assert CHANNEL_ID


async def test_an_album_post_still_being_collected_when_the_app_stops_is_kept(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    """The album's updates were confirmed to Telegram as they were handled: dropped at the
    stop, the post would never come again. It is made as the app stops instead."""
    from tests.hotline_harness import handled_updates

    settings = post_settings(tmp_path, tg, vk, publishing={"album_wait_seconds": 300})
    async with running_app(settings) as app:
        with handled_updates() as handled:
            parts = [
                tg.user_message(
                    MODERATOR,
                    ADMIN_CHAT,
                    photo=make_png(20 + index, 20),
                    caption="/post Субботник в субботу." if index == 0 else None,
                    entities=None,
                    media_group_id="album-at-stop",
                )
                for index in range(3)
            ]
            await tg.wait_for(lambda: handled.all(parts))
        assert not [m for m in admin(tg) if "Пост №1" in (m.get("text") or "")]

    async with running_app(settings) as app:
        post, _ = await wait_post(app, 1, lambda p, _: p.status is PostStatus.DRAFT)
        assert "Субботник в субботу." in post.body.plain
        async with app.services.db.read() as conn:
            photos = await media_repo.of(conn, OWNER, 1)
        assert len(photos) == 3
        preview = await wait_admin(tg, "Пост №1")
        assert "фото — 3" in preview["text"]
