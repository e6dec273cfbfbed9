"""A /queue page quotes the waiting questions' text: a citizen's withdrawal takes back the
pages quoting theirs, from the database and from the admin chat, like their cards."""

from __future__ import annotations

from pathlib import Path

from simulators.telegram import FakeTelegram
from tests.harness import ADMIN_CHAT, MODERATOR
from tests.hotline_harness import (
    cards,
    containing,
    hotline_people,
    open_hotline,
    outbox_idle,
    running,
    tg_consent,
    tg_text,
    wait,
)
from tests.test_retention import everything

CITIZEN = 812345678
OTHER = 812345679
PRIVATE = "Кукушкина, квартира 17, телефон 89131234567"


async def test_withdrawal_takes_back_the_queue_pages_that_quote_the_question(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    hotline_people(tg)
    async with running(tmp_path, tg) as app:
        db = app.services.db
        await open_hotline(app)
        await tg_consent(tg, CITIZEN, name="Евлампия")
        await tg_consent(tg, OTHER, name="Пётр")
        tg.user_message(CITIZEN, text=f"Меня зовут Евлампия {PRIVATE}. Когда тепло?")
        tg.user_message(OTHER, text="Когда починят дорогу на Лесной?")
        await wait(lambda: len(cards(tg)) == 2)
        tg.user_message(MODERATOR, ADMIN_CHAT, text="/queue")
        [page] = await wait(lambda: containing(tg.messages(ADMIN_CHAT), "Очередь"))
        assert "89131234567" in tg_text(page)
        await wait(lambda: outbox_idle(db))

        tg.user_message(CITIZEN, text="Удалить мои данные")
        await wait(lambda: containing(tg.messages(CITIZEN), "Ваши данные удалены"))
        await wait(lambda: outbox_idle(db))

        assert "89131234567" not in await everything(db)
        shown = [m for m in tg.messages(ADMIN_CHAT) if not m["deleted"]]
        assert not containing(shown, "89131234567"), "the page left in the admin chat"
        assert [m["message_id"] for m in tg.messages(ADMIN_CHAT) if m["deleted"]] == [
            page["message_id"]
        ]
        # Another /queue lists what is still waiting, from the database as it is now.
        tg.user_message(MODERATOR, ADMIN_CHAT, text="/queue")
        await wait(lambda: len(containing(tg.messages(ADMIN_CHAT), "Лесной")) >= 3)
