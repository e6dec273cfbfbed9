"""Alerts on VK: subscribing in community messages, notices in ``messages.send`` calls of
up to 100 ``peer_ids`` with one outcome per recipient, «Отписаться», blocked citizens."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from shared.alerts import service
from shared.delivered import Delivered
from shared.domain import MediaKind, OutboxState
from shared.storage.media import NewFile
from shared.storage.schema import alert_subscriptions, citizens
from simulators.telegram import FakeTelegram, make_png
from simulators.vk import FakeVK
from tests.alerts_harness import adds_up, done, send, subscribers
from tests.hotline_harness import (
    fast_overrides,
    outbox_rows,
    running,
    vk_buttons,
    vk_consent,
    wait,
)

CITIZEN = 300001
EMERGENCY = "Экстренные сообщения: ЧС, отключения"


def said(vk: FakeVK, needle: str, peer: int = CITIZEN) -> list[dict[str, Any]]:
    return [m for m in vk.messages(peer) if needle in m["message"]]


async def test_subscribe_notice_with_photo_and_unsubscribe(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    async with running(tmp_path, tg, vk) as app:
        await vk_consent(vk, CITIZEN)
        vk.user_message(CITIZEN, "Подписки")
        menu = (await wait(lambda: said(vk, "Оповещения от администрации")))[-1]
        vk.message_event(CITIZEN, vk_buttons(menu)[EMERGENCY])
        await wait(lambda: said(vk, f"Вы подписались на «{EMERGENCY}»"))
        photo = NewFile(MediaKind.PHOTO, "map.png", "image/png", make_png(20, 20))
        alert_id = await send(app.services, "Штормовое предупреждение", photos=[photo])
        notice = (await wait(lambda: said(vk, "Штормовое предупреждение")))[-1]
        assert notice["attachments"], "the notice carries its photo"
        assert "Отписаться" in vk_buttons(notice)
        sends = [c for c in vk.calls("messages.send") if "peer_ids" in c["params"]]
        assert len(sends) == 1
        vk.message_event(CITIZEN, vk_buttons(notice)["Отписаться"])
        await wait(lambda: said(vk, f"Вы отписались от «{EMERGENCY}»"))
        async with app.services.db.read() as conn:
            left = (await conn.execute(select(alert_subscriptions))).all()
        assert left == []
        await wait(lambda: done(app.services, alert_id))


async def test_notices_go_100_per_call_and_blocked_are_unreachable(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    people = list(range(400001, 400251))
    for user_id in people:
        vk.add_user(user_id, "Житель", "Города")
    blocked = people[7]
    vk.block_messages(blocked)
    async with running(tmp_path, tg, vk) as app:
        await subscribers(app.services, "vk", people)
        alert_id = await send(app.services, "Отключение воды в 14:00")
        await wait(lambda: done(app.services, alert_id), timeout=30)
        calls = [c for c in vk.calls("messages.send") if "peer_ids" in c["params"]]
        peers = [int(p) for c in calls for p in c["params"]["peer_ids"].split(",")]
        assert sorted(peers) == people, "every recipient in exactly one call"
        assert all(len(c["params"]["peer_ids"].split(",")) <= 100 for c in calls)
        # Full calls of 100, plus the first round's other group leaders (one per worker).
        assert len(calls) <= 3 + app.settings.outbox.workers
        for user_id in people:
            got = [m for m in vk.messages(user_id) if "Отключение воды" in m["message"]]
            assert len(got) == (0 if user_id == blocked else 1), user_id
        _, figures = await service.status(app.services, alert_id)
        assert (figures.sent, figures.unreachable, figures.total) == (249, 1, 250)
        assert adds_up(figures)
        rows = await outbox_rows(app.services.db, ref_type="alert", ref_id=alert_id)
        states = {r["destination"]: r["state"] for r in rows}
        assert states[str(blocked)] == OutboxState.FAILED.value
        sent = [r for r in rows if r["state"] == OutboxState.SENT.value]
        made = [Delivered.from_dict(r["result"]) for r in sent]
        assert all(m is not None and m.ids() for m in made), "each recipient's message id"
        async with app.services.db.read() as conn:
            reachable = (
                await conn.execute(
                    select(citizens.c.reachable).where(citizens.c.platform_user_id == str(blocked))
                )
            ).scalar_one()
        assert reachable is False, "marked unreachable: skipped from then on"
        again = await send(app.services, "Воду дали")
        await wait(lambda: done(app.services, again), timeout=30)
        alert, figures = await service.status(app.services, again)
        assert alert.skipped == 1
        assert figures.sent == 249


async def test_a_long_topics_menu_comes_in_pages_every_topic_reachable(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    """Twelve topics are more than VK's inline keyboard takes (10 buttons; the fake refuses
    more with error 911): the menu shows eight with «Ещё темы ›», and the last ones are
    reached on the next page, where subscribing keeps the citizen on that page."""
    own = tmp_path / "topics.toml"
    lines = "".join(f'district{n} = "Район {n}"\n' for n in range(1, 13))
    own.write_text(f"[topics]\n{lines}", encoding="utf-8")
    overrides = fast_overrides(alerts={"topics_file": str(own)})
    async with running(tmp_path, tg, vk, overrides) as app:
        await vk_consent(vk, CITIZEN)
        vk.user_message(CITIZEN, "Подписки")
        first = (await wait(lambda: said(vk, "Оповещения от администрации")))[-1]
        assert "Темы 1–8 из 12." in first["message"]
        assert set(vk_buttons(first)) == {f"Район {n}" for n in range(1, 9)} | {"Ещё темы ›"}
        vk.message_event(CITIZEN, vk_buttons(first)["Ещё темы ›"])
        second = (await wait(lambda: said(vk, "Темы 9–12 из 12.")))[-1]
        assert set(vk_buttons(second)) == {f"Район {n}" for n in range(9, 13)} | {"‹ Назад"}
        vk.message_event(CITIZEN, vk_buttons(second)["Район 11"])
        after = (await wait(lambda: said(vk, "Вы подписались на «Район 11»")))[-1]
        assert "✓ Район 11" in vk_buttons(after), "the menu stays on the topic's page"
        vk.message_event(CITIZEN, vk_buttons(after)["‹ Назад"])
        await wait(lambda: len(said(vk, "Темы 1–8 из 12.")) == 2)
        async with app.services.db.read() as conn:
            rows = (await conn.execute(select(alert_subscriptions.c.topic))).all()
        assert [r.topic for r in rows] == ["district11"]


async def test_typed_unsubscribe_turns_every_topic_off(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    """A VK client without callback buttons can only type: «Отписаться» is not a question
    to the moderators but every topic off, and said; again, there is nothing left."""
    async with running(tmp_path, tg, vk) as app:
        await vk_consent(vk, CITIZEN)
        vk.user_message(CITIZEN, "Подписки")
        menu = (await wait(lambda: said(vk, "Оповещения от администрации")))[-1]
        vk.message_event(CITIZEN, vk_buttons(menu)[EMERGENCY])
        await wait(lambda: said(vk, f"Вы подписались на «{EMERGENCY}»"))
        vk.user_message(CITIZEN, "Отписаться!")
        await wait(lambda: said(vk, "Вы отписались от всех оповещений"))
        vk.user_message(CITIZEN, "отписаться")
        await wait(lambda: said(vk, "У вас нет подписок на оповещения"))
        async with app.services.db.read() as conn:
            assert (await conn.execute(select(alert_subscriptions))).all() == []
        assert await outbox_rows(app.services.db, ref_type="card") == []
