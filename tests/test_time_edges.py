"""Time's edges: what falls due while the app is down, hotlines that end on another day or
close under a citizen's feet, posts missed twice, urgent posts days late, ISO times.

Time passing while the app is stopped is simulated by writing the stored times between
two runs of the real app against the fakes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from bots.telegram.platform import TelegramRuntime
from shared.clock import utcnow
from shared.domain import HotlineStatus, PostKind, PostStatus
from shared.hotlines import campaigns
from shared.hotlines.drafts import close as close_hotline
from shared.hotlines.planner import HotlinePlanner
from shared.posts import repo, service
from shared.posts.when import parse_when
from shared.reports import figures
from shared.reports.figures import Period
from shared.richtext import from_plain
from shared.services import Services
from shared.storage.migrate import upgrade
from shared.storage.schema import hotlines, posts
from simulators.telegram import FakeTelegram
from simulators.vk import FakeVK
from tests.harness import ADMIN_CHAT, CHANNEL_ID, settings_for
from tests.hotline_harness import (
    containing,
    fast_overrides,
    hotline_people,
    open_hotline,
    outbox_idle,
    question_rows,
    running,
    tg_buttons,
    tg_consent,
    tg_text,
    wait,
)
from tests.posts_harness import admin, channel, post_settings, running_app, wait_admin, wait_post
from tests.test_cli_posts import next_year_day, prepared, run

CITIZEN = 7301
OTHER = 7302
SUMMARY = "Горячая линия закрыта"


def admin_said(tg: FakeTelegram, needle: str) -> list[dict[str, Any]]:
    return [m for m in tg.messages(ADMIN_CHAT) if needle in tg_text(m)]


async def move_hotline(url: str, hotline_id: int, **values: Any) -> None:
    """Write a hotline's stored times while the app is stopped (time passed meanwhile)."""
    from shared.storage.engine import Database

    db = Database(url)
    try:
        async with db.write() as conn:
            await conn.execute(update(hotlines).where(hotlines.c.id == hotline_id).values(**values))
    finally:
        await db.dispose()


# --- hotlines ---------------------------------------------------------------------------


async def test_a_hotline_running_for_days_is_announced_with_its_end_date(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    async with running(tmp_path, tg) as app:
        now = utcnow()
        ends = now + timedelta(days=3)
        async with app.services.db.write() as conn:
            await campaigns.create(
                conn,
                topic="Капремонт",
                description="Вопросы о ремонте домов",
                starts_at=now - timedelta(minutes=1),
                ends_at=ends,
                created_by="test",
            )
        assert app.scheduler is not None
        await app.scheduler.sync()
        posted = await wait(
            lambda: [m for m in tg.messages(CHANNEL_ID) if "Капремонт" in tg_text(m)]
        )
        until = ends.astimezone(app.services.settings.tz).strftime("%d.%m %H:%M")
    text = tg_text(posted[0])
    assert "Сегодня" not in text, text
    assert f"До {until} работает горячая линия «Капремонт»" in text, text


async def test_a_follow_up_after_its_hotline_closed_waits_for_the_citizens_choice(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    hotline_people(tg)
    async with running(tmp_path, tg) as app:
        heating = await open_hotline(app, topic="Отопление")
        for citizen in (CITIZEN, OTHER):
            await tg_consent(tg, citizen)
            tg.user_message(citizen, text="Когда дадут тепло на Ленина 5?")
            await wait(lambda c=citizen: containing(tg.messages(c), "Номер вопроса"))
        roads = await open_hotline(app, topic="Дороги")
        await close_hotline(app.services, "test", heating)
        # Never filed under «Дороги», which they did not choose: told, and asked.
        choices = {}
        for citizen in (CITIZEN, OTHER):
            tg.user_message(citizen, text="И батареи в подъезде тоже холодные.")
            asked = await wait(
                lambda c=citizen: containing(tg.messages(c), "«Отопление» уже закрылась")
            )
            assert "Выберите, на какую горячую линию" in tg_text(asked[-1])
            choices[citizen] = asked[-1]
            assert set(tg_buttons(asked[-1])) == {"Дороги", "Без горячей линии — в пресс-службу"}
        await wait(lambda: outbox_idle(app.services.db))
        assert [r["hotline_id"] for r in await question_rows(app.services.db)] == [
            heating,
            heating,
        ]
        # One sends it to the press office: a general question, and so is what follows.
        general = choices[CITIZEN]
        label = "Без горячей линии — в пресс-службу"
        tg.callback(CITIZEN, general["message_id"], CITIZEN, tg_buttons(general)[label])
        told = await wait(lambda: containing(tg.messages(CITIZEN), "сохранён под номером №3"))
        assert "Сейчас горячая линия не работает" not in tg_text(told[-1])
        assert "напишите «Начать»" in tg_text(told[-1])
        tg.user_message(CITIZEN, text="И в квартире тоже.")
        await wait(lambda: containing(tg.messages(CITIZEN), "сохранён под номером №4"))
        # The other chooses «Дороги» by number: their follow-up goes there, by their choice.
        tg.user_message(OTHER, text="1")
        await wait(lambda: containing(tg.messages(OTHER), "Номер вопроса: №5"))
        rows = await question_rows(app.services.db)
    assert [(r["text"], r["hotline_id"]) for r in rows[2:]] == [
        ("И батареи в подъезде тоже холодные.", None),
        ("И в квартире тоже.", None),
        ("И батареи в подъезде тоже холодные.", roads),
    ]


async def test_a_question_after_a_hotlines_end_is_not_its_though_not_yet_closed(
    tmp_path: Path, tg: FakeTelegram, database_url: str
) -> None:
    """Between a hotline's end and the planner's close it is not open any more."""
    hotline_people(tg)
    overrides = fast_overrides(database={"url": database_url})
    async with running(tmp_path, tg, overrides=overrides) as app:
        heating = await open_hotline(app, topic="Отопление")
        await tg_consent(tg, CITIZEN)
        assert app.scheduler is not None
        app.scheduler.aps.pause()  # the planner's close is late: nothing wakes it
        async with app.services.db.write() as conn:
            await conn.execute(
                update(hotlines)
                .where(hotlines.c.id == heating)
                .values(ends_at=utcnow() - timedelta(minutes=1))
            )
        tg.user_message(CITIZEN, text="А почему до сих пор холодно?")
        told = await wait(lambda: containing(tg.messages(CITIZEN), "№1"))
        async with app.services.db.read() as conn:
            assert (await campaigns.get(conn, heating)).status is HotlineStatus.OPEN
        app.scheduler.aps.resume()
        await app.scheduler.sync()
        summary = await wait(lambda: admin_said(tg, SUMMARY))
        rows = await question_rows(app.services.db)
    assert "сохранён под номером №1" in tg_text(told[-1])
    assert rows[-1]["hotline_id"] is None
    assert "Получено вопросов: 0" in tg_text(summary[-1])


async def test_after_a_restart_past_a_hotlines_end_it_closes_before_messages_are_taken(
    tmp_path: Path, tg: FakeTelegram, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    hotline_people(tg)
    overrides = fast_overrides(database={"url": database_url})
    async with running(tmp_path, tg, overrides=overrides) as app:
        heating = await open_hotline(app, topic="Отопление")
        await tg_consent(tg, CITIZEN)
    # Down: the hotline's end passes, and the citizen writes after it.
    await move_hotline(database_url, heating, ends_at=utcnow() - timedelta(hours=1))
    tg.user_message(CITIZEN, text="А почему до сих пор холодно?")
    order: list[str] = []
    run_due, start = HotlinePlanner.run_due, TelegramRuntime.start

    async def planned(planner: HotlinePlanner, now: datetime) -> None:
        order.append("hotlines")
        await run_due(planner, now)

    async def polled(runtime: TelegramRuntime) -> None:
        order.append("telegram")
        await start(runtime)

    monkeypatch.setattr(HotlinePlanner, "run_due", planned)
    monkeypatch.setattr(TelegramRuntime, "start", polled)
    async with running(tmp_path, tg, overrides=overrides) as app:
        assert order[:2] == ["hotlines", "telegram"], "settled before Telegram is polled"
        async with app.services.db.read() as conn:
            assert (await campaigns.get(conn, heating)).status is HotlineStatus.CLOSED
        await wait(lambda: containing(tg.messages(CITIZEN), "сохранён под номером №1"))
        summary = await wait(lambda: admin_said(tg, SUMMARY))
        rows = await question_rows(app.services.db)
    assert rows[-1]["hotline_id"] is None
    assert "Получено вопросов: 0" in tg_text(summary[-1])


async def test_a_hotline_whose_hours_passed_while_the_app_was_down_is_told_as_not_held(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    offline = Services.build(settings_for(tmp_path, tg, None, fast_overrides()))
    await upgrade(offline.db)
    now = utcnow()
    async with offline.db.write() as conn:
        hotline = await campaigns.create(
            conn,
            topic="Отопление",
            starts_at=now + timedelta(hours=1),
            ends_at=now + timedelta(hours=3),
            created_by="test",
        )
    await offline.db.dispose()
    # Planned for three hours ago to an hour ago; the app was down all that time.
    url = f"sqlite+aiosqlite:///{tmp_path}/glashatai.db"
    await move_hotline(
        url, hotline.id, starts_at=now - timedelta(hours=3), ends_at=now - timedelta(hours=1)
    )
    async with running(tmp_path, tg) as app:
        told = await wait(lambda: admin_said(tg, "«Отопление»"))
        async with app.services.db.read() as conn:
            stored = await campaigns.get(conn, hotline.id)
            tz = app.services.settings.tz
            today = now.astimezone(tz).date()
            period = Period(today - timedelta(days=1), today + timedelta(days=1), tz)
            report = await figures.collect(conn, period)
        await wait(lambda: outbox_idle(app.services.db))
    text = tg_text(told[-1])
    assert stored.status is HotlineStatus.CLOSED
    assert not [m for m in tg.messages(CHANNEL_ID) if "Отопление" in tg_text(m)]
    assert "Горячая линия №1 «Отопление» не состоялась" in text, text
    assert "бот в это время не работал" in text
    assert "запланируйте её снова" in text
    assert not admin_said(tg, "Получено вопросов")
    assert report.hotlines == [], "the office's report does not count it as held"


# --- press releases ---------------------------------------------------------------------

ASKED = "Пост №1 должен был выйти"


async def test_a_post_rescheduled_and_missed_again_is_asked_about_again(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    settings = post_settings(tmp_path, tg, vk)
    offline = Services.build(settings)
    await upgrade(offline.db)
    async with offline.db.write() as conn:
        await repo.insert(
            conn,
            title=None,
            body=from_plain("Отключение воды в четверг."),
            kind=PostKind.PRESS_RELEASE,
            status=PostStatus.SCHEDULED,
            platforms=["telegram", "vk"],
            scheduled_at=utcnow() - timedelta(hours=3),
            created_by="test",
        )
    await offline.db.dispose()
    async with running_app(settings) as app:
        await wait_post(app, 1, lambda p, _: p.status is PostStatus.MISSED)
        await wait_admin(tg, ASKED)
        await service.schedule(app.services, 1, utcnow() + timedelta(hours=2), "test")
        await wait_post(app, 1, lambda p, _: p.status is PostStatus.SCHEDULED)
    asked = len([m for m in admin(tg) if ASKED in (m.get("text") or "")])
    assert asked == 1
    # Down over the new time too.
    offline = Services.build(settings)
    async with offline.db.write() as conn:
        await conn.execute(
            update(posts).where(posts.c.id == 1).values(scheduled_at=utcnow() - timedelta(hours=3))
        )
    await offline.db.dispose()
    async with running_app(settings) as app:
        await wait_post(app, 1, lambda p, _: p.status is PostStatus.MISSED)
        await wait(lambda: len([m for m in admin(tg) if ASKED in (m.get("text") or "")]) == 2)
    assert channel(tg) == []


async def test_an_urgent_post_hours_late_goes_out_and_one_days_late_is_asked_about(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    settings = post_settings(tmp_path, tg, vk)
    offline = Services.build(settings)
    await upgrade(offline.db)
    async with offline.db.write() as conn:
        for text, late in (
            ("Штормовое предупреждение: ветер до 25 м/с!", timedelta(hours=2)),
            ("Штормовое предупреждение: сегодня ветер до 30 м/с!", timedelta(days=2)),
        ):
            await repo.insert(
                conn,
                title=None,
                body=from_plain(text),
                kind=PostKind.URGENT,
                status=PostStatus.SCHEDULED,
                platforms=["telegram", "vk"],
                scheduled_at=utcnow() - late,
                created_by="test",
            )
    await offline.db.dispose()
    async with running_app(settings) as app:
        await wait_post(app, 1, lambda p, _: p.status is PostStatus.PUBLISHED)
        await wait_post(app, 2, lambda p, _: p.status is PostStatus.MISSED)
        await wait_admin(tg, "Пост №2 должен был выйти")
    assert [m["text"] for m in channel(tg)] == ["Штормовое предупреждение: ветер до 25 м/с!"]


def test_iso_time_with_t_is_understood() -> None:
    tz = ZoneInfo("Asia/Novosibirsk")
    now = utcnow()
    assert parse_when("2026-12-01T10:00", now, tz) == parse_when("2026-12-01 10:00", now, tz)


def test_post_create_at_an_iso_time_with_t(tmp_path: Path, tg: FakeTelegram) -> None:
    env = prepared(tmp_path, tg)
    (tmp_path / "r.md").write_text("Текст")
    day = next_year_day()
    done = run(tmp_path, env, "post", "create", "--text-file", "r.md", "--at", f"{day}T10:00")
    assert done.stdout.startswith(f"Пост №1 запланирован на {day[8:10]}.{day[5:7]}")
