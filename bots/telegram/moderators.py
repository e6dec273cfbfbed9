"""Who may moderate: the configured ids, or else the admin chat's administrators."""

from __future__ import annotations

import logging
import time

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError

from config.settings import TelegramSettings

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
