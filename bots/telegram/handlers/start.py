"""/start in a private chat: the greeting, consent and the open hotlines.

``/start <payload>`` is what a ``https://t.me/<bot>?start=<payload>`` link sends: the
payload (a hotline's deep link) goes to the conversation as it came. The command word is
read in any case («/START hotline_2», a link typed by hand); the payload is kept as it is.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import Message

from bots.telegram.handlers.citizen import incoming
from shared.hotlines import conversation
from shared.services import Services


async def start(message: Message, services: Services, command: CommandObject) -> None:
    payload = command.args or None
    await conversation(services).message(incoming(message, start=True, start_payload=payload))


def router() -> Router:
    found = Router(name=__name__)
    found.message.register(start, CommandStart(ignore_case=True), F.chat.type == "private")
    return found
