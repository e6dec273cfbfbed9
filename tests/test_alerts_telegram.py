"""Alerts end to end on Telegram: the real app, aiogram and the outbox against the fake."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from shared import callbacks
from shared.alerts import feature, service
from shared.alerts.model import AlertState, Press
from shared.clock import utcnow
from shared.domain import MediaKind, OutboxState, PostKind
from shared.posts import repo as posts_repo
from shared.storage import citizens as citizens_store
from shared.storage.media import NewFile
from shared.storage.schema import alert_subscriptions, citizens
from simulators.telegram import FakeTelegram, make_png
from tests.harness import ADMIN_CHAT, CHANNEL_ID, settings_for
from tests.hotline_harness import (
    containing,
    fast_overrides,
    handled_updates,
    hotline_people,
    outbox_idle,
    outbox_rows,
    running,
    tg_buttons,
    tg_consent,
    tg_text,
    wait,
)

CITIZEN = 7001
OTHER = 7002
EMERGENCY = "Экстренные сообщения: ЧС, отключения"


@pytest.fixture
def tg(tg: FakeTelegram) -> FakeTelegram:
    return hotline_people(tg)


def _menu(tg: FakeTelegram, user_id: int) -> list[dict]:
    return [
        m
        for m in tg.messages(user_id)
        if EMERGENCY in tg_buttons(m) or f"✓ {EMERGENCY}" in tg_buttons(m)
    ]


async def _subscribe(tg: FakeTelegram, user_id: int) -> None:
    """The citizen opens the menu with /subscribe and switches the emergency topic on."""
    before = len(_menu(tg, user_id))
    tg.user_message(user_id, text="/subscribe")
    menu = (await wait(lambda: len(_menu(tg, user_id)) > before and _menu(tg, user_id)))[-1]
    tg.callback(user_id, menu["message_id"], user_id, tg_buttons(menu)[EMERGENCY])
    await wait(lambda: containing(tg.messages(user_id), f"Вы подписались на «{EMERGENCY}»"))


async def _topics(app, user_id: int) -> set[str]:  # type: ignore[no-untyped-def]
    async with app.services.db.read() as conn:
        rows = await conn.execute(
            select(alert_subscriptions.c.topic)
            .join(citizens, citizens.c.id == alert_subscriptions.c.citizen_id)
            .where(citizens.c.platform_user_id == str(user_id))
        )
        return {r[0] for r in rows}


async def test_subscribe_and_unsubscribe_in_the_menu(tmp_path: Path, tg: FakeTelegram) -> None:
    async with running(tmp_path, tg) as app:
        await tg_consent(tg, CITIZEN)
        await _subscribe(tg, CITIZEN)
        assert await _topics(app, CITIZEN) == {"emergency"}
        menu = _menu(tg, CITIZEN)[-1]
        assert f"✓ {EMERGENCY}" in tg_buttons(menu), "the menu marks the topic as on"
        tg.callback(CITIZEN, menu["message_id"], CITIZEN, tg_buttons(menu)[f"✓ {EMERGENCY}"])
        await wait(lambda: containing(tg.messages(CITIZEN), f"Вы отписались от «{EMERGENCY}»"))
        assert await _topics(app, CITIZEN) == set()


async def test_subscribe_needs_consent_first(tmp_path: Path, tg: FakeTelegram) -> None:
    async with running(tmp_path, tg) as app:
        tg.add_user(OTHER, "Борис")
        tg.user_message(OTHER, text="/subscribe")
        prompt = await wait(lambda: [m for m in tg.messages(OTHER) if tg_buttons(m)])
        assert "Согласен(на)" in tg_buttons(prompt[-1]), "consent is asked first"
        assert "оповещения" in tg_text(prompt[-1]), "the consent text covers alerts"
        assert await _topics(app, OTHER) == set()


async def test_topic_button_without_consent_stores_nothing_and_says_consent_is_needed(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    """A menu still on screen after the citizen's consent is gone (set here directly: the
    conversation decides how consent goes) no longer subscribes."""
    async with running(tmp_path, tg) as app:
        await tg_consent(tg, CITIZEN)
        tg.user_message(CITIZEN, text="/subscribe")
        menu = (await wait(lambda: _menu(tg, CITIZEN)))[-1]
        async with app.services.db.write() as conn:
            citizen = await citizens_store.find(conn, "telegram", str(CITIZEN))
            assert citizen is not None
            await citizens_store.set_fields(conn, citizen.id, consent_at=None)
        tg.callback(CITIZEN, menu["message_id"], CITIZEN, tg_buttons(menu)[EMERGENCY])
        needed = app.services.texts("alerts.need_consent")
        await wait(lambda: containing(tg.messages(CITIZEN), needed))
        assert await _topics(app, CITIZEN) == set(), "subscribed without consent"
        assert not containing(tg.messages(CITIZEN), "Вы подписались")


async def _press_twice(tg: FakeTelegram, menu: dict, label: str) -> None:
    """Two callback queries for one button of one menu (a double tap on a slow line)."""
    data = tg_buttons(menu)[label]
    with handled_updates() as handled:
        sent = [tg.callback(CITIZEN, menu["message_id"], CITIZEN, data) for _ in range(2)]
        await wait(lambda: handled.all(sent))


async def test_double_tap_on_a_topic_leaves_the_citizen_subscribed(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    async with running(tmp_path, tg) as app:
        await tg_consent(tg, CITIZEN)
        tg.user_message(CITIZEN, text="/subscribe")
        menu = (await wait(lambda: _menu(tg, CITIZEN)))[-1]
        await _press_twice(tg, menu, EMERGENCY)
        await wait(lambda: outbox_idle(app.services.db))
        assert await _topics(app, CITIZEN) == {"emergency"}, "the second tap unsubscribed"
        assert len(containing(tg.messages(CITIZEN), "Вы подписались")) == 1
        assert not containing(tg.messages(CITIZEN), "Вы отписались")


async def test_checked_topic_of_an_old_menu_does_not_subscribe_again(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    """«✓ topic» in a menu from before the citizen unsubscribed elsewhere (the next menu,
    «Отписаться» under a notice) means 'unsubscribe': pressed now, it changes nothing."""
    async with running(tmp_path, tg) as app:
        await tg_consent(tg, CITIZEN)
        await _subscribe(tg, CITIZEN)
        old = _menu(tg, CITIZEN)[-1]
        tg.callback(CITIZEN, old["message_id"], CITIZEN, tg_buttons(old)[f"✓ {EMERGENCY}"])
        await wait(lambda: containing(tg.messages(CITIZEN), f"Вы отписались от «{EMERGENCY}»"))
        with handled_updates() as handled:
            sent = [
                tg.callback(CITIZEN, old["message_id"], CITIZEN, tg_buttons(old)[f"✓ {EMERGENCY}"])
            ]
            await wait(lambda: handled.all(sent))
        await wait(lambda: outbox_idle(app.services.db))
        assert await _topics(app, CITIZEN) == set(), "an old «✓» button subscribed again"
        assert len(containing(tg.messages(CITIZEN), "Вы подписались")) == 1


async def test_topic_button_sent_before_the_upgrade_still_toggles(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    """Tokens issued before buttons carried their intent (no "want") switch the topic."""
    async with running(tmp_path, tg) as app:
        await tg_consent(tg, CITIZEN)
        tg.user_message(CITIZEN, text="/subscribe")
        menu = (await wait(lambda: _menu(tg, CITIZEN)))[-1]
        async with app.services.db.write() as conn:
            citizen = await citizens_store.find(conn, "telegram", str(CITIZEN))
            assert citizen is not None
            old = await callbacks.issue(conn, Press.TOGGLE, citizen.id, topic="emergency")
        # The menu on screen stands in for one sent before: the fake lets its token through.
        tg.callback(CITIZEN, menu["message_id"], CITIZEN, old, check_button=False)
        await wait(lambda: containing(tg.messages(CITIZEN), "Вы подписались"))
        assert await _topics(app, CITIZEN) == {"emergency"}
        tg.callback(CITIZEN, menu["message_id"], CITIZEN, old, check_button=False)
        await wait(lambda: containing(tg.messages(CITIZEN), "Вы отписались"))
        assert await _topics(app, CITIZEN) == set()


async def test_notice_with_photo_and_unsubscribe_button(tmp_path: Path, tg: FakeTelegram) -> None:
    async with running(tmp_path, tg) as app:
        await tg_consent(tg, CITIZEN)
        await _subscribe(tg, CITIZEN)
        services = app.services
        topic = feature(services).find_topic("emergency")
        assert topic is not None
        alert_id = await service.create(
            services,
            topic=topic,
            text="Завтра с 9:00 до 17:00 не будет воды на ул. Ленина.",
            photos=[NewFile(MediaKind.PHOTO, "map.png", "image/png", make_png(20, 20))],
            actor="test",
        )
        await service.enqueue_all(services, alert_id)
        notice = (
            await wait(lambda: containing(tg.messages(CITIZEN), "не будет воды на ул. Ленина"))
        )[-1]
        assert notice.get("photo"), "the notice carries its photo"
        assert EMERGENCY in tg_text(notice)
        assert "Отписаться" in tg_buttons(notice)
        tg.callback(CITIZEN, notice["message_id"], CITIZEN, tg_buttons(notice)["Отписаться"])
        await wait(lambda: containing(tg.messages(CITIZEN), f"Вы отписались от «{EMERGENCY}»"))
        assert await _topics(app, CITIZEN) == set()
        # The status message in the admin chat ends with the summary once all is sent.
        assert app.scheduler is not None
        await wait(lambda: _alert_done(app, alert_id), timeout=30)
        summary = await wait(lambda: containing(tg.messages(ADMIN_CHAT), "разослано"))
        assert "доставлено 1 из 1" in tg_text(summary[-1])


async def _alert_done(app, alert_id: int) -> bool:  # type: ignore[no-untyped-def]
    await app.scheduler.sync()
    alert, _ = await service.status(app.services, alert_id)
    return alert.state is AlertState.DONE


async def test_blocked_citizen_is_skipped_from_then_on(tmp_path: Path, tg: FakeTelegram) -> None:
    async with running(tmp_path, tg) as app:
        await tg_consent(tg, CITIZEN)
        await _subscribe(tg, CITIZEN)
        tg.add_user(OTHER, "Борис")
        await tg_consent(tg, OTHER, "Борис")
        await _subscribe(tg, OTHER)
        tg.block(OTHER)
        services = app.services
        topic = feature(services).find_topic("emergency")
        assert topic is not None
        first = await service.create(services, topic=topic, text="Первое", actor="test")
        await service.enqueue_all(services, first)
        await wait(lambda: _alert_done(app, first), timeout=30)
        _, figures = await service.status(services, first)
        assert (figures.sent, figures.unreachable, figures.total) == (1, 1, 2)
        second = await service.create(services, topic=topic, text="Второе", actor="test")
        await service.enqueue_all(services, second)
        await wait(lambda: _alert_done(app, second), timeout=30)
        alert, figures = await service.status(services, second)
        assert alert.skipped == 1, "the blocked citizen is skipped before the send"
        assert (figures.sent, figures.unreachable, figures.total) == (1, 1, 2)
        rows = await outbox_rows(services.db, ref_type="alert", ref_id=second)
        assert [r["destination"] for r in rows] == [str(CITIZEN)]
        assert rows[0]["state"] == OutboxState.SENT.value
        # Unblocked, the citizen opens the menu again: reachable again from then on.
        tg.unblock(OTHER)
        menus = len(_menu(tg, OTHER))
        tg.user_message(OTHER, text="/subscribe")
        await wait(lambda: len(_menu(tg, OTHER)) > menus)  # handled: reachable again
        third = await service.create(services, topic=topic, text="Третье", actor="test")
        await service.enqueue_all(services, third)
        await wait(lambda: containing(tg.messages(OTHER), "Третье"))


async def test_own_topics_urgent_and_also_posted(tmp_path: Path, tg: FakeTelegram) -> None:
    topics_file = tmp_path / "topics.toml"
    topics_file.write_text('[topics]\nroads = "Дороги и мосты"\n', encoding="utf-8")
    overrides = fast_overrides(alerts={"topics_file": str(topics_file)})
    async with running(tmp_path, tg, overrides=overrides) as app:
        await tg_consent(tg, CITIZEN)
        tg.user_message(CITIZEN, text="/subscribe")
        menu = (
            await wait(
                lambda: [m for m in tg.messages(CITIZEN) if "Дороги и мосты" in tg_buttons(m)]
            )
        )[-1]
        assert list(tg_buttons(menu)) == ["Дороги и мосты"], "the office's own topics only"
        tg.callback(CITIZEN, menu["message_id"], CITIZEN, tg_buttons(menu)["Дороги и мосты"])
        await wait(lambda: containing(tg.messages(CITIZEN), "Вы подписались на «Дороги и мосты»"))
        topic = feature(app.services).find_topic("1")
        assert topic is not None
        alert_id = await service.create(
            app.services,
            topic=topic,
            text="Коммунальный мост закрыт до 06:00.",
            urgent=True,
            also_post=True,
            actor="test",
        )
        await service.enqueue_all(app.services, alert_id)
        notice = (await wait(lambda: containing(tg.messages(CITIZEN), "Коммунальный мост")))[-1]
        assert "Срочно" in tg_text(notice)
        post = await wait(lambda: containing(tg.messages(CHANNEL_ID), "Коммунальный мост"))
        assert len(post) == 1, "published to the channel through the press-release pipeline"
        alert, _ = await service.status(app.services, alert_id)
        assert alert.post_id is not None


async def test_alert_also_posted_in_quiet_hours_reaches_the_channel_at_once(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    """A warning sent at night (not urgent) wakes its subscribers at once; its post is the
    same warning on the channel and goes out with it, not at the end of the quiet hours."""
    tz = settings_for(tmp_path).tz
    local = utcnow().astimezone(tz)
    quiet = {
        "quiet_hours_start": f"{local - timedelta(hours=1):%H:%M}",
        "quiet_hours_end": f"{local + timedelta(hours=1):%H:%M}",
    }
    async with running(tmp_path, tg, overrides=fast_overrides(publishing=quiet)) as app:
        await tg_consent(tg, CITIZEN)
        await _subscribe(tg, CITIZEN)
        topic = feature(app.services).find_topic("emergency")
        assert topic is not None
        alert_id = await service.create(
            app.services,
            topic=topic,
            text="Штормовое предупреждение: ветер до 25 м/с.",
            also_post=True,
            actor="test",
        )
        await service.enqueue_all(app.services, alert_id)
        await wait(lambda: containing(tg.messages(CITIZEN), "Штормовое предупреждение"))
        await wait(lambda: containing(tg.messages(CHANNEL_ID), "Штормовое предупреждение"))
        alert, _ = await service.status(app.services, alert_id)
        assert alert.post_id is not None
        async with app.services.db.read() as conn:
            post = await posts_repo.get(conn, alert.post_id)
        assert post.kind is PostKind.ANNOUNCEMENT, "not marked urgent for it"


async def test_unsubscribe_from_a_topic_removed_since_forgets_the_subscription(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    """The office drops a topic from its file; «Отписаться» under one of its old notices
    still removes the citizen's subscription (kept otherwise as personal data for
    nothing), and says the topic is gone."""
    topics_file = tmp_path / "topics.toml"
    topics_file.write_text('[topics]\nroads = "Дороги"\nwater = "Вода"\n', encoding="utf-8")
    overrides = fast_overrides(alerts={"topics_file": str(topics_file)})
    async with running(tmp_path, tg, overrides=overrides) as app:
        await tg_consent(tg, CITIZEN)
        tg.user_message(CITIZEN, text="/subscribe")
        menu = (await wait(lambda: [m for m in tg.messages(CITIZEN) if "Дороги" in tg_buttons(m)]))[
            -1
        ]
        tg.callback(CITIZEN, menu["message_id"], CITIZEN, tg_buttons(menu)["Дороги"])
        await wait(lambda: containing(tg.messages(CITIZEN), "Вы подписались на «Дороги»"))
        topic = feature(app.services).find_topic("roads")
        assert topic is not None
        alert_id = await service.create(app.services, topic=topic, text="Мост", actor="test")
        await service.enqueue_all(app.services, alert_id)
        notice = (await wait(lambda: containing(tg.messages(CITIZEN), "Мост")))[-1]
    topics_file.write_text('[topics]\nwater = "Вода"\n', encoding="utf-8")
    async with running(tmp_path, tg, overrides=overrides) as app:
        assert await _topics(app, CITIZEN) == {"roads"}
        tg.callback(CITIZEN, notice["message_id"], CITIZEN, tg_buttons(notice)["Отписаться"])
        await wait(lambda: containing(tg.messages(CITIZEN), "Этой темы больше нет."))
        assert await _topics(app, CITIZEN) == set()


async def test_unsubscribe_command_turns_every_topic_off(tmp_path: Path, tg: FakeTelegram) -> None:
    async with running(tmp_path, tg) as app:
        await tg_consent(tg, CITIZEN)
        await _subscribe(tg, CITIZEN)
        tg.user_message(CITIZEN, text="/unsubscribe")
        await wait(lambda: containing(tg.messages(CITIZEN), "Вы отписались от всех оповещений"))
        assert await _topics(app, CITIZEN) == set()
        assert await outbox_rows(app.services.db, ref_type="card") == []
