"""Filters shared by the handler modules."""

from __future__ import annotations

from aiogram.filters import Filter
from aiogram.types import Message

from shared.services import Services


class InAdminChat(Filter):
    """The press office's admin chat, where moderators work."""

    async def __call__(self, message: Message, services: Services) -> bool:
        return message.chat.id == services.settings.telegram.admin_chat_id
