"""Who may moderate (the configured ids, or else the admin chat's administrators), and the
guard that keeps everyone else out of the admin routers.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from aiogram import BaseMiddleware, Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import CommandObject
from aiogram.types import CallbackQuery, TelegramObject, User

from bots.telegram.middleware import Next
from config.settings import TelegramSettings
from shared.callbacks import CallbackToken
from shared.hotlines import moderation
from shared.hotlines.model import Moderator
from shared.services import Services

log = logging.getLogger(__name__)

CACHE_SECONDS = 300.0


class Moderators:
    def __init__(self, bot: Bot, settings: TelegramSettings) -> None:
        self.bot = bot
        self.settings = settings
        self._admins: set[int] = set()
        self._fetched = 0.0

    async def is_moderator(self, user_id: int | None) -> bool:
        if user_id is None:
            return False
        if self.settings.moderator_ids:
            return user_id in self.settings.moderator_ids
        return user_id in await self._chat_admins()

    async def _chat_admins(self) -> set[int]:
        chat = self.settings.admin_chat_id
        if chat is None:
            return set()
        if time.monotonic() - self._fetched > CACHE_SECONDS:
            try:
                admins = await self.bot.get_chat_administrators(chat)
            except TelegramAPIError as exc:
                log.warning("could not list the admin chat's administrators: %s", exc.message)
                return self._admins
            self._admins = {a.user.id for a in admins if not a.user.is_bot}
            self._fetched = time.monotonic()
        return self._admins


def actor(user_id: int | None) -> str:
    """A Telegram user as the audit log names them."""
    return f"tg:{user_id}"


class ModeratorGuard(BaseMiddleware):
    """Runs an admin router's matched handler for moderators only, handing it ``moderator``.

    An inner middleware rather than a filter: it runs once a handler's own filters have
    matched, so an attempted action is refused and audited exactly once, and chatter in the
    admin chat that matches no handler is neither audited nor kept from other routers.
    """

    async def __call__(self, handler: Next, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = getattr(event, "from_user", None)
        moderators: Moderators = data["moderators"]
        if user is not None and await moderators.is_moderator(user.id):
            data["moderator"] = Moderator(user.id, user.first_name, actor(user.id))
            return await handler(event, data)
        user_id = user.id if user is not None else None
        what = _attempted(data)
        log.info("admin chat: %s by non-moderator %s ignored", what, user_id)
        services: Services = data["services"]
        await moderation.denied(services, actor(user_id), what)
        if isinstance(event, CallbackQuery):
            await event.answer(services.texts("errors.not_allowed"))
        return None


def _attempted(data: dict[str, Any]) -> str:
    """What was tried: the button's action, the command, or else the handler's name."""
    token = data.get("token")
    if isinstance(token, CallbackToken):
        return token.action
    command = data.get("command")
    if isinstance(command, CommandObject):
        return command.command
    return str(data["handler"].callback.__name__)


def guarded(router: Router) -> Router:
    """Every message (and edited message) and button handler of ``router`` is for
    moderators only."""
    guard = ModeratorGuard()
    router.message.middleware(guard)
    router.edited_message.middleware(guard)
    router.callback_query.middleware(guard)
    return router
