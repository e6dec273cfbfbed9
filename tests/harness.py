"""Building blocks for end-to-end tests: settings pointed at the fakes, a running outbox."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bots.telegram.client import make_bot
from bots.telegram.moves import ChatMoves
from bots.telegram.sender import TelegramSender
from bots.vk.client import VkClient
from bots.vk.sender import VkSender
from config import Settings
from shared.domain import MediaKind, OutboxState
from shared.outbox import store
from shared.outbox.dispatcher import Dispatcher, Sender
from shared.outbox.model import OutboxItem
from shared.storage import citizens
from shared.storage.engine import Database
from shared.storage.media import NewFile
from simulators.telegram import FakeTelegram, make_png
from simulators.vk import FakeVK
from simulators.waiting import wait


def photo_file(name: str = "p.png") -> NewFile:
    return NewFile(MediaKind.PHOTO, name, "image/png", make_png())


def pdf_file(name: str = "d.pdf") -> NewFile:
    return NewFile(MediaKind.DOCUMENT, name, "application/pdf", b"%PDF-1.4 test")


ADMIN_CHAT = -1001234567890
CHANNEL = "@town_news"
CHANNEL_ID = -1009876543210
MODERATOR = 5001
FINAL = {OutboxState.SENT, OutboxState.FAILED, OutboxState.UNKNOWN, OutboxState.HELD}


def settings_for(
    tmp_path: Path,
    tg: FakeTelegram | None = None,
    vk: FakeVK | None = None,
    overrides: dict[str, Any] | None = None,
) -> Settings:
    values: dict[str, Any] = {
        "database": {"url": f"sqlite+aiosqlite:///{tmp_path}/glashatai.db"},
        "outbox": {"poll_interval": 0.2, "backoff_base": 0.05, "backoff_max": 1.0},
        # Tests must not depend on the time of day; quiet hours are tested where set.
        "publishing": {"quiet_hours_start": None, "quiet_hours_end": None},
    }
    if tg is not None:
        values["telegram"] = {
            "token": tg.token,
            "api_base": tg.base_url,
            "admin_chat_id": ADMIN_CHAT,
            "channel_id": CHANNEL,
            "moderator_ids": [MODERATOR],
            "request_timeout": 3,
        }
    if vk is not None:
        values["vk"] = {
            "group_id": vk.group_id,
            "group_token": vk.group_token,
            "user_token": vk.user_token,
            "api_base": vk.base_url,
            "request_timeout": 3,
            "longpoll_wait": 1,
        }
    for key, value in (overrides or {}).items():
        if isinstance(value, dict) and isinstance(values.get(key), dict):
            values[key] = {**values[key], **value}
        else:
            values[key] = value
    return Settings(_env_file=None, **values)


def prepare_telegram(tg: FakeTelegram) -> None:
    """The office's chats as they exist in production."""
    tg.add_chat(ADMIN_CHAT, "supergroup", title="Пресс-служба")
    tg.add_chat(CHANNEL_ID, "channel", title="Новости города", username=CHANNEL.lstrip("@"))
    tg.add_user(MODERATOR, "Мария")


@contextlib.asynccontextmanager
async def running_outbox(
    db: Database,
    settings: Settings,
    platforms: Sequence[str] = ("telegram", "vk"),
) -> AsyncIterator[Dispatcher]:
    """A dispatcher with real senders for the fakes, running until the block ends."""
    senders: dict[str, Sender] = {}
    closers: list[Callable[[], Any]] = []
    if "telegram" in platforms and settings.telegram.enabled:
        bot = make_bot(settings.telegram)
        moves = ChatMoves(settings.telegram)  # as the app's runtime has
        senders["telegram"] = TelegramSender(
            bot, db, settings.outbox, settings.telegram.channel_id, moves
        )
        closers.append(bot.session.close)
    if "vk" in platforms and settings.vk.enabled:
        client = VkClient(settings.vk)
        senders["vk"] = VkSender(client, db, settings.outbox)
        closers.append(client.close)
    dispatcher = Dispatcher(db, senders, settings.outbox, on_unreachable=citizens.mark_unreachable)
    await dispatcher.recover()
    task = asyncio.create_task(dispatcher.run())
    try:
        yield dispatcher
    finally:
        await dispatcher.stop(2)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        for close in closers:
            result = close()
            if asyncio.iscoroutine(result):
                await result


async def settle(db: Database, item_ids: Sequence[int], timeout: float = 15.0) -> list[OutboxItem]:
    """Wait until every row is in a final state; return them."""
    seen: dict[int, OutboxItem] = {}

    async def final() -> list[OutboxItem] | None:
        async with db.read() as conn:
            seen.update({i.id: i for i in await store.get_many(conn, item_ids)})
        done = [seen[i] for i in item_ids if i in seen and seen[i].state in FINAL]
        return done if len(done) == len(item_ids) else None

    return await wait(
        final,
        timeout,
        interval=0.05 if len(item_ids) < 100 else 0.5,
        describe=lambda: {i.id: (i.state, i.error) for i in seen.values()},
    )


@contextlib.asynccontextmanager
async def fresh_postgres_database(server_url: str, prefix: str) -> AsyncIterator[str]:
    """A database of its own on the test server, dropped after: for an app or a child
    process that connects by URL (and so cannot be given a schema)."""
    name = f"glashatai_{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(server_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()
