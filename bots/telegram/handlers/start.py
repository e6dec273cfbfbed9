"""/start in a private chat: the greeting, consent and the open hotlines."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import CommandStart
from aiogram.types import Message

from bots.telegram.handlers.citizen import incoming
from shared.hotlines import conversation
from shared.services import Services


async def start(message: Message, services: Services) -> None:
    await conversation(services).message(incoming(message, start=True))


def router() -> Router:
    found = Router(name=__name__)
    found.message.register(start, CommandStart(), F.chat.type == "private")
    return found
