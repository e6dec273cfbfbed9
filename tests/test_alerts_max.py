"""Alerts on MAX: the same subscription flow (shared/alerts) through the MAX handlers, a
notice with a photo and «Отписаться», a blocked citizen skipped."""

from __future__ import annotations

from pathlib import Path

from shared.alerts import service
from shared.domain import MediaKind
from shared.storage.media import NewFile
from simulators.max import FakeMax
from simulators.telegram import FakeTelegram
from simulators.vk.media import png_bytes
from tests.alerts_harness import adds_up, done, send, subscribers
from tests.hotline_harness import running, wait
from tests.test_max_hotline import CITIZEN, consent, labels, overrides, said

EMERGENCY = "Экстренные сообщения: ЧС, отключения"


async def test_subscribe_notice_unsubscribe_on_max(
    tmp_path: Path, tg: FakeTelegram, max: FakeMax
) -> None:
    fake = max
    async with running(tmp_path, tg, overrides=overrides(fake)) as app:
        await consent(fake)
        fake.user_message(CITIZEN, "/subscribe")
        menu = (await wait(lambda: said(fake, "Оповещения от администрации")))[-1]
        assert EMERGENCY in labels(menu)
        fake.press(CITIZEN, EMERGENCY)
        await wait(lambda: said(fake, f"Вы подписались на «{EMERGENCY}»"))
        photo = NewFile(MediaKind.PHOTO, "map.png", "image/png", png_bytes(30, 20))
        alert_id = await send(app.services, "Гроза после 15:00", photos=[photo])
        notice = (await wait(lambda: said(fake, "Гроза после 15:00")))[-1]
        assert any(a["type"] == "image" for a in notice["attachments"])
        assert "Отписаться" in labels(notice)
        fake.press(CITIZEN, "Отписаться")
        await wait(lambda: said(fake, f"Вы отписались от «{EMERGENCY}»"))
        await wait(lambda: done(app.services, alert_id))
        _, figures = await service.status(app.services, alert_id)
        assert figures.sent == 1
        assert adds_up(figures)


async def test_blocked_on_max_is_skipped(tmp_path: Path, tg: FakeTelegram, max: FakeMax) -> None:
    fake = max
    async with running(tmp_path, tg, overrides=overrides(fake)) as app:
        await consent(fake)
        await subscribers(app.services, "max", [CITIZEN])
        fake.block_bot(CITIZEN)
        first = await send(app.services, "Первое")
        await wait(lambda: done(app.services, first))
        _, figures = await service.status(app.services, first)
        assert figures.unreachable == 1
        second = await send(app.services, "Второе")
        await wait(lambda: done(app.services, second))
        alert, figures = await service.status(app.services, second)
        assert alert.skipped == 1
        assert adds_up(figures)
