"""The "/" menus: citizens see /start and /my in private chats, moderators their commands
in the admin chat only (citizens never see them).

Set at every start, in the background: a failure is logged and changes nothing else.
"""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError
from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat

from shared.services import Services

log = logging.getLogger(__name__)

PRIVATE = ("start", "my", "subscribe", "forget")
ADMIN = (
    "post",
    "urgent",
    "queue",
    "overdue",
    "report",
    "next",
    "stats",
    "digest",
    "hotline",
    "hotlines",
    "close_hotline",
    "answer_days",
    "ban",
    "unban",
    "cancel",
    "web",
    "alert",
    "alert_status",
    "alert_cancel",
)


def commands(services: Services, names: tuple[str, ...]) -> list[BotCommand]:
    texts = services.texts
    return [BotCommand(command=name, description=texts(f"menu.{name}")) for name in names]


async def install(bot: Bot, services: Services) -> None:
    try:
        await bot.set_my_commands(
            commands(services, PRIVATE), scope=BotCommandScopeAllPrivateChats()
        )
        chat = services.settings.telegram.admin_chat_id
        if chat is not None:
            await bot.set_my_commands(
                commands(services, ADMIN), scope=BotCommandScopeChat(chat_id=chat)
            )
    except (TelegramAPIError, TelegramNetworkError) as exc:
        log.warning("Telegram: the command menus were not set: %s", exc.message)
