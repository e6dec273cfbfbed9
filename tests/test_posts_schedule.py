"""Due times: posts missed while the app was down, quiet hours and urgent posts."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from shared.clock import utcnow
from shared.domain import PostKind, PostStatus
from shared.posts import repo, service
from shared.richtext import from_plain
from shared.services import Services
from shared.storage.migrate import upgrade
from simulators.telegram import FakeTelegram
from simulators.vk import FakeVK
from tests.harness import MODERATOR
from tests.posts_harness import (
    channel,
    post_settings,
    press,
    remembered,
    running_app,
    wait_admin,
    wait_post,
)


async def test_missed_posts_within_the_window_go_out_others_are_asked_about(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    settings = post_settings(tmp_path, tg, vk)
    offline = Services.build(settings)
    await upgrade(offline.db)
    async with offline.db.write() as conn:
        for text, late in (("Опоздал немного.", 30), ("Опоздал сильно.", 180)):
            await repo.insert(
                conn,
                title=None,
                body=from_plain(text),
                kind=PostKind.PRESS_RELEASE,
                status=PostStatus.SCHEDULED,
                platforms=["telegram", "vk"],
                scheduled_at=utcnow() - timedelta(minutes=late),
                created_by="test",
            )
    await offline.db.dispose()

    async with running_app(settings) as app:
        await wait_post(app, 1, lambda p, _: p.status is PostStatus.PUBLISHED)
        _post, pubs = await wait_post(app, 2, lambda p, _: p.status is PostStatus.MISSED)
        assert pubs == []
        question = await wait_admin(tg, "Пост №2 должен был выйти")
        assert [m["text"] for m in channel(tg)] == ["Опоздал немного."]
        await remembered(app, question)
        await press(tg, MODERATOR, question, "Опубликовать сейчас")
        await wait_post(app, 2, lambda p, _: p.status is PostStatus.PUBLISHED)
    assert sorted(p["message"] for p in vk.wall_posts()) == ["Опоздал немного.", "Опоздал сильно."]


async def test_quiet_hours_hold_ordinary_posts_and_urgent_ones_bypass(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    local = utcnow().astimezone(post_settings(tmp_path, None, None).tz)
    quiet = {
        "quiet_hours_start": (local - timedelta(hours=1)).time().replace(second=0, microsecond=0),
        "quiet_hours_end": (local + timedelta(hours=1)).time().replace(second=0, microsecond=0),
    }
    async with running_app(post_settings(tmp_path, tg, vk, publishing=quiet)) as app:
        calm = await service.create_post(
            app.services, body=from_plain("Обычная новость."), created_by="test"
        )
        urgent = await service.create_post(
            app.services,
            body=from_plain("Штормовое предупреждение!"),
            kind=PostKind.URGENT,
            created_by="test",
        )
        await wait_post(app, urgent, lambda p, _: p.status is PostStatus.PUBLISHED)
        async with app.services.db.read() as conn:
            held = await repo.get(conn, calm)
        assert held.status is PostStatus.SCHEDULED
        assert held.scheduled_at is not None
        assert held.scheduled_at - utcnow() > timedelta(minutes=55)
        assert [m["text"] for m in channel(tg)] == ["Штормовое предупреждение!"]
        assert [p["message"] for p in vk.wall_posts()] == ["Штормовое предупреждение!"]
        preview = await wait_admin(tg, f"Пост №{calm}")
        assert "запланирован" in preview["text"]
