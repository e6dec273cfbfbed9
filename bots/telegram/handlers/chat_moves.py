"""The admin chat's group upgraded to a supergroup: the bot follows it there and says so
in the new chat (``bots.telegram.moves``)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import Message

from bots.telegram import NAME
from bots.telegram.filters import InAdminChat
from bots.telegram.moves import ChatMoves
from shared.replies import send_text
from shared.services import Services


async def upgraded(message: Message, services: Services, moves: ChatMoves) -> None:
    new = message.migrate_to_chat_id
    if new is not None and moves.follow(message.chat.id, new):
        said = services.texts("moderation.chat_upgraded", old=message.chat.id, new=new)
        await send_text(services, NAME, new, said)


def router() -> Router:
    found = Router(name="chat_moves")
    found.message.filter(InAdminChat())
    found.message.register(upgraded, F.migrate_to_chat_id)
    return found
