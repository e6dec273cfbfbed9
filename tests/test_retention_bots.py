"""«Удалить мои данные» on each platform, end to end through the real clients and the fakes:
the citizen is told, their cards lose their name, their alert subscription ends, and no
table keeps their name or ids or a row about them beyond the anonymised questions and the
emptied sends."""

from __future__ import annotations

from pathlib import Path

from shared.storage import citizens
from shared.storage.engine import Database
from simulators.telegram import FakeTelegram
from simulators.vk import FakeVK
from tests.harness import ADMIN_CHAT, MODERATOR
from tests.hotline_harness import (
    card_for,
    cards,
    containing,
    fast_overrides,
    open_hotline,
    outbox_idle,
    outbox_rows,
    running,
    tg_buttons,
    tg_consent,
    tg_text,
    vk_buttons,
    vk_consent,
    wait,
)
from tests.test_alerts_telegram import EMERGENCY, _menu
from tests.test_retention import assert_erased, everything

TG_CITIZEN = 812345678
VK_CITIZEN = 390123457
DONE = "Ваши данные удалены"


async def forgotten_rows(db: Database) -> bool:
    """The confirmation went out and its row no longer says where."""
    rows = await outbox_rows(db, ref_type="forgotten")
    return bool(rows) and all(r["destination"] == "" for r in rows)


async def test_telegram_citizen_withdraws(tmp_path: Path, tg: FakeTelegram) -> None:
    async with running(tmp_path, tg) as app:
        db = app.services.db
        await open_hotline(app)
        await tg_consent(tg, TG_CITIZEN, name="Евлампия")
        greeting = containing(tg.messages(TG_CITIZEN), "Спасибо! Теперь")[-1]
        assert "Удалить мои данные" in tg_buttons(greeting)
        tg.user_message(TG_CITIZEN, text="Когда дадут тепло?")
        first = (await wait(lambda: cards(tg)))[0]
        tg.user_message(
            MODERATOR, ADMIN_CHAT, text="В пятницу.", reply_to_message_id=first["message_id"]
        )
        await wait(lambda: containing(tg.messages(TG_CITIZEN), "В пятницу."))
        tg.user_message(TG_CITIZEN, text="И горячей воды нет")
        await wait(lambda: len(cards(tg)) >= 2)
        assert "Евлампия" in await everything(db)
        tg.user_message(TG_CITIZEN, text="/subscribe")
        menu = (await wait(lambda: _menu(tg, TG_CITIZEN)))[-1]
        tg.callback(TG_CITIZEN, menu["message_id"], TG_CITIZEN, tg_buttons(menu)[EMERGENCY])
        await wait(lambda: containing(tg.messages(TG_CITIZEN), "Вы подписались"))
        async with db.read() as conn:
            citizen = await citizens.find(conn, "telegram", str(TG_CITIZEN))
        assert citizen is not None

        tg.user_message(TG_CITIZEN, text="/forget")
        await wait(lambda: containing(tg.messages(TG_CITIZEN), DONE))
        await wait(lambda: outbox_idle(db))
        await wait(lambda: forgotten_rows(db))
        for ticket in (1, 2):
            card = card_for(tg, ticket)
            assert card is not None
            assert "Евлампия" not in tg_text(card)
        assert "Удалён по просьбе автора" in tg_text(card_for(tg, 2) or {})
        await assert_erased(db, citizen, "Евлампия", "Иванова", str(TG_CITIZEN))


async def test_vk_citizen_withdraws_with_the_menu_button(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    async with running(tmp_path, tg, vk) as app:
        db = app.services.db
        await open_hotline(app)
        await vk_consent(vk, VK_CITIZEN, first="Евлампия")
        vk.user_message(VK_CITIZEN, "Где горячая вода?", first_name="Евлампия")
        await wait(lambda: cards(tg))
        async with db.read() as conn:
            citizen = await citizens.find(conn, "vk", str(VK_CITIZEN))
        assert citizen is not None
        menu = [m for m in vk.messages(VK_CITIZEN) if "Удалить мои данные" in vk_buttons(m)]
        vk.message_event(VK_CITIZEN, vk_buttons(menu[-1])["Удалить мои данные"])
        await wait(lambda: [m for m in vk.messages(VK_CITIZEN) if DONE in m["message"]])
        await wait(lambda: outbox_idle(db))
        await wait(lambda: forgotten_rows(db))
        await assert_erased(db, citizen, "Евлампия", "Сидоров", str(VK_CITIZEN))


async def test_withdrawal_typed_while_silenced_by_the_throttle_still_deletes(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    """A citizen who wrote too fast and was told to wait asks to delete their data: the
    throttle holds their messages, never the withdrawal of their consent."""
    overrides = fast_overrides(hotline={"throttle_messages": 5})
    async with running(tmp_path, tg, overrides=overrides) as app:
        db = app.services.db
        await open_hotline(app)
        await tg_consent(tg, TG_CITIZEN, name="Евлампия")
        async with db.read() as conn:
            citizen = await citizens.find(conn, "telegram", str(TG_CITIZEN))
        assert citizen is not None
        for n in range(6):
            tg.user_message(TG_CITIZEN, text=f"Вопрос {n}")
        await wait(lambda: containing(tg.messages(TG_CITIZEN), "слишком часто"))

        tg.user_message(TG_CITIZEN, text="Удалить мои данные")
        await wait(lambda: containing(tg.messages(TG_CITIZEN), DONE))
        await wait(lambda: outbox_idle(db))
        await wait(lambda: forgotten_rows(db))
        await assert_erased(db, citizen, "Евлампия", "Иванова", str(TG_CITIZEN))
