"""Helpers for the hotline end-to-end tests: the real app against the fakes."""

from __future__ import annotations

import contextlib
import json
import logging
import re
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bots.app import App
from config import Settings
from shared.clock import utcnow
from shared.domain import OutboxState
from shared.hotlines import campaigns
from shared.hotlines import cards as card_store
from shared.storage.engine import Database
from shared.storage.schema import outbox, questions
from simulators.telegram import FakeTelegram
from simulators.vk import FakeVK
from simulators.waiting import wait
from tests.harness import ADMIN_CHAT, MODERATOR, settings_for

MODERATOR_2 = 5002
STRANGER = 6001
HOSTILE = '<b>жирный</b> <a href="http://evil.example">ссылка</a> A & B {{ x }} {name} *_[ '

# Quicker polling and retries; the pacing stays at the platforms' published limits, which
# the fakes enforce (limits on).
FAST: dict[str, Any] = {
    "outbox": {"poll_interval": 0.05, "backoff_base": 0.05, "backoff_max": 1.0},
    "hotline": {"policy_url": "https://town.example/privacy", "throttle_messages": 100},
}


def fast_overrides(**extra: Any) -> dict[str, Any]:
    out = {k: dict(v) for k, v in FAST.items()}
    for key, value in extra.items():
        out[key] = {**out.get(key, {}), **value}
    return out


def hotline_people(tg: FakeTelegram) -> FakeTelegram:
    """Besides the office's chats (conftest ``tg``): a second moderator and a stranger."""
    tg.add_user(MODERATOR_2, "Пётр")
    tg.add_user(STRANGER, "Посторонний")
    return tg


class HandledUpdates(logging.Handler):
    """Ids of the Telegram updates the app has finished handling (aiogram logs each one)."""

    PATTERN = re.compile(r"Update id=(\d+) is (?:not )?handled")

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.ids: set[int] = set()

    def emit(self, record: logging.LogRecord) -> None:
        if found := self.PATTERN.match(record.getMessage()):
            self.ids.add(int(found[1]))

    def all(self, updates: list[dict[str, Any]]) -> bool:
        """True once every one of these injected updates has been handled."""
        return {u["update_id"] for u in updates} <= self.ids


@contextlib.contextmanager
def handled_updates() -> Iterator[HandledUpdates]:
    """Watch aiogram's report of handled updates while the block runs."""
    logger = logging.getLogger("aiogram.event")
    handler, level = HandledUpdates(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


@contextlib.asynccontextmanager
async def running(
    tmp_path: Path,
    tg: FakeTelegram | None,
    vk: FakeVK | None = None,
    overrides: dict[str, Any] | None = None,
) -> AsyncIterator[App]:
    settings = settings_for(tmp_path, tg, vk, overrides or fast_overrides())
    app = App(settings)
    await app.start()
    try:
        yield app
    finally:
        await app.stop()


async def open_hotline(
    app: App, topic: str = "Отопление", description: str = "Вопросы о тепле"
) -> int:
    """A hotline that started a minute ago, opened by the planner."""
    now = utcnow()
    async with app.services.db.write() as conn:
        hotline = await campaigns.create(
            conn,
            topic=topic,
            description=description,
            starts_at=now - timedelta(minutes=1),
            ends_at=now + timedelta(hours=2),
            created_by="test",
        )
    assert app.scheduler is not None
    await app.scheduler.sync()
    return hotline.id


def tg_text(message: dict[str, Any]) -> str:
    return str(message.get("text") or message.get("caption") or "")


def tg_buttons(message: dict[str, Any]) -> dict[str, str]:
    markup = message.get("reply_markup") or {}
    return {
        b["text"]: b.get("callback_data") or b.get("url")
        for row in markup.get("inline_keyboard", [])
        for b in row
    }


def vk_buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    keyboard = message.get("keyboard") or {}
    if isinstance(keyboard, str):
        keyboard = json.loads(keyboard)
    out = {}
    for row in keyboard.get("buttons", []):
        for b in row:
            action = b["action"]
            payload = action.get("payload")
            out[action["label"]] = json.loads(payload) if payload else action
    return out


def containing(messages: list[dict[str, Any]], needle: str, text: Callable[..., str] = tg_text):
    return [m for m in messages if needle in text(m)]


def cards(tg: FakeTelegram) -> list[dict[str, Any]]:
    """Question cards the bot posted in the admin chat (not deleted)."""
    return [
        m
        for m in tg.messages(ADMIN_CHAT)
        if tg_text(m).startswith("Вопрос №") and not m.get("deleted")
    ]


def card_for(tg: FakeTelegram, ticket: int) -> dict[str, Any] | None:
    found = [m for m in cards(tg) if tg_text(m).startswith(f"Вопрос №{ticket} ")]
    return found[-1] if found else None


async def card_recorded(app: App, message_id: int) -> bool:
    """The app has recorded the card's send (its messages are mapped to the question).

    The fake shows a card as soon as it accepts the call; the app records the outcome a
    moment later. A button pressed in between has its card refresh owed until then
    (``test_card_refresh_owed``); tests about anything else press once this is true.
    """
    async with app.services.db.read() as conn:
        return await card_store.question_of_message(conn, ADMIN_CHAT, message_id) is not None


async def question_rows(db: Database) -> list[dict[str, Any]]:
    async with db.read() as conn:
        rows = await conn.execute(select(questions).order_by(questions.c.id))
        return [dict(r._mapping) for r in rows]


async def outbox_rows(db: Database, **where: Any) -> list[dict[str, Any]]:
    async with db.read() as conn:
        query = select(outbox).order_by(outbox.c.id)
        for key, value in where.items():
            query = query.where(outbox.c[key] == value)
        return [dict(r._mapping) for r in await conn.execute(query)]


async def outbox_idle(db: Database) -> bool:
    rows = await outbox_rows(db)
    busy = {OutboxState.PENDING.value, OutboxState.SENDING.value}
    return not any(r["state"] in busy for r in rows)


async def tg_consent(tg: FakeTelegram, user_id: int, name: str = "Анна") -> None:
    """A Telegram citizen opens the bot and agrees to the processing of their data."""
    tg.add_user(user_id, name, "Иванова")
    tg.user_message(user_id, text="/start")
    prompt = await wait(lambda: [m for m in tg.messages(user_id) if tg_buttons(m)])
    tg.callback(user_id, prompt[-1]["message_id"], user_id, tg_buttons(prompt[-1])["Согласен(на)"])
    await wait(lambda: containing(tg.messages(user_id), "Спасибо! Теперь"))


async def vk_consent(vk: FakeVK, user_id: int, first: str = "Олег") -> None:
    vk.add_user(user_id, first, "Сидоров")
    vk.user_message(user_id, "Начать", payload={"command": "start"}, first_name=first)
    prompt = await wait(lambda: [m for m in vk.messages(user_id) if vk_buttons(m)])
    vk.message_event(user_id, vk_buttons(prompt[-1])["Согласен(на)"])
    await wait(lambda: [m for m in vk.messages(user_id) if "Спасибо! Теперь" in m["message"]])


__all__ = ["ADMIN_CHAT", "MODERATOR", "Settings", "wait"]
