"""/start in a private chat: who the bot is."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import CommandStart
from aiogram.types import Message

from shared.domain import Platform
from shared.replies import send_text
from shared.services import Services

router = Router(name=__name__)


@router.message(CommandStart(), F.chat.type == "private")
async def start(message: Message, services: Services) -> None:
    await send_text(
        services, Platform.TELEGRAM, message.chat.id, services.texts("citizen.greeting")
    )
