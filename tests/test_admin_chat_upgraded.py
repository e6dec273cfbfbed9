"""The admin chat is a basic group that Telegram upgrades to a supergroup (an admin turned
on topics, made it public…): its id names no chat any more and every call to it answers
400 with the new id. The bot follows the chat there — when it hears of it, when a send
finds it out, and at start — and cards, answers and commands work in the new chat."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bots.app import App
from shared.domain import OutboxAction, OutboxState
from shared.hotlines import cards
from shared.outbox import store
from shared.outbox.model import OutboxMessage
from shared.outbox.payload import message
from shared.richtext import from_plain
from shared.storage.engine import Database
from simulators.telegram import FakeTelegram
from tests.harness import CHANNEL, CHANNEL_ID, MODERATOR, running_outbox, settings_for
from tests.hotline_harness import (
    containing,
    fast_overrides,
    open_hotline,
    running,
    tg_consent,
    tg_text,
    wait,
)

GROUP, SUPERGROUP = -4001234, -1007777777
CITIZEN = 7001
MOVED = "Telegram сделал чат модераторов супергруппой"


@pytest.fixture
def tg() -> Iterator[FakeTelegram]:
    """The office's chats, the admin chat a basic group."""
    with FakeTelegram() as fake:
        fake.add_chat(GROUP, "group", title="Пресс-служба")
        fake.add_chat(CHANNEL_ID, "channel", title="Новости города", username=CHANNEL[1:])
        fake.add_user(MODERATOR, "Мария")
        yield fake
        assert fake.internal_errors == []


async def _card_recorded(app: App, message_id: int) -> bool:
    async with app.services.db.read() as conn:
        return await cards.question_of_message(conn, SUPERGROUP, message_id) is not None


def _in_group() -> dict[str, dict[str, int]]:
    return fast_overrides(telegram={"admin_chat_id": GROUP})


async def test_the_bot_follows_the_admin_chat_into_its_supergroup(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    async with running(tmp_path, tg, overrides=_in_group()) as app:
        await open_hotline(app)
        await tg_consent(tg, CITIZEN)
        tg.user_message(CITIZEN, text="Когда дадут тепло?")
        await wait(lambda: [m for m in tg.messages(GROUP) if tg_text(m).startswith("Вопрос №1")])

        tg.upgrade_group(GROUP, SUPERGROUP, MODERATOR)
        [told] = await wait(lambda: containing(tg.messages(SUPERGROUP), MOVED))
        assert f"GLASHATAI_TELEGRAM__ADMIN_CHAT_ID={SUPERGROUP}" in tg_text(told)
        assert app.services.settings.telegram.admin_chat_id == SUPERGROUP

        tg.user_message(CITIZEN, text="А горячая вода когда будет?")
        card = await wait(
            lambda: next(
                (m for m in tg.messages(SUPERGROUP) if tg_text(m).startswith("Вопрос №2")), None
            )
        )
        await wait(lambda: _card_recorded(app, card["message_id"]))
        reply = "Горячую воду дадут в пятницу."
        tg.user_message(MODERATOR, SUPERGROUP, text=reply, reply_to_message_id=card["message_id"])
        await wait(lambda: containing(tg.messages(CITIZEN), reply))
        tg.user_message(MODERATOR, SUPERGROUP, text="/stats")
        await wait(lambda: containing(tg.messages(SUPERGROUP), "Всего: новых"))


async def test_a_send_queued_for_the_old_group_goes_to_the_supergroup(
    db: Database, tmp_path: Path, tg: FakeTelegram
) -> None:
    """A message queued for the group before the bot heard of the upgrade: Telegram
    refuses it (400, nothing sent), and it is sent in the supergroup instead, once."""
    settings = settings_for(tmp_path, tg, overrides={"telegram": {"admin_chat_id": GROUP}})
    tg.upgrade_group(GROUP, SUPERGROUP, MODERATOR)
    async with db.write() as conn:
        item = OutboxMessage(
            "telegram", OutboxAction.SEND, str(GROUP), message(from_plain("Сводка"))
        )
        item_id = await store.enqueue(conn, item)
    async with running_outbox(db, settings, ["telegram"]):

        async def sent() -> bool:
            async with db.read() as conn:
                found = await store.get(conn, item_id)
            return found is not None and found.state is OutboxState.SENT

        await wait(sent)
    assert len(containing(tg.messages(SUPERGROUP), "Сводка")) == 1
    assert settings.telegram.admin_chat_id == SUPERGROUP


async def test_at_start_the_bot_finds_the_supergroup_and_says_which_id_to_set(
    tmp_path: Path, tg: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    """Upgraded while the app was down, long enough ago that Telegram no longer holds the
    service messages (the configuration still names the group): the first command typed
    in the supergroup is answered, before anything was sent there."""
    tg.upgrade_group(GROUP, SUPERGROUP, MODERATOR)
    tg.expire_updates()
    with caplog.at_level(logging.WARNING, logger="bots.telegram.moves"):
        async with running(tmp_path, tg, overrides=_in_group()):
            tg.user_message(MODERATOR, SUPERGROUP, text="/stats")
            await wait(lambda: containing(tg.messages(SUPERGROUP), "Всего: новых"))
    assert f"GLASHATAI_TELEGRAM__ADMIN_CHAT_ID={SUPERGROUP}" in caplog.text
