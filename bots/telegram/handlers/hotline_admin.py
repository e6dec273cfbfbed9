"""Hotlines from the admin chat: /hotline starts a short dialogue, /hotlines lists them,
/close_hotline ID closes one now, /digest ID sends what may be published. The dialogue's
state lives in the database."""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, Filter
from aiogram.types import Message

from bots.telegram.filters import InAdminChat
from bots.telegram.handlers.moderation import _moderator, _say
from bots.telegram.moderators import Moderators
from shared.errors import InvalidInput
from shared.hotlines import digest, drafts
from shared.services import Services

router = Router(name=__name__)


class InDialogue(Filter):
    """A plain message in the admin chat from someone halfway through creating a hotline."""

    async def __call__(self, message: Message, services: Services) -> bool | dict[str, Any]:
        if message.chat.id != services.settings.telegram.admin_chat_id:
            return False
        if message.from_user is None or message.text is None:
            return False
        return await drafts.active(services, message.from_user.id)


@router.message(Command("hotline"), InAdminChat())
async def begin(message: Message, services: Services, moderators: Moderators) -> None:
    mod = await _moderator(message, services, moderators, "hotline")
    if mod is not None:
        await drafts.begin(services, mod, message.chat.id)


@router.message(Command("cancel"), InDialogue())
async def cancel(message: Message, services: Services, moderators: Moderators) -> None:
    mod = await _moderator(message, services, moderators, "cancel")
    if mod is not None:
        await drafts.cancel(services, mod)


@router.message(Command("hotlines"), InAdminChat())
async def listing(message: Message, services: Services, moderators: Moderators) -> None:
    if await _moderator(message, services, moderators, "hotlines") is not None:
        await _say(services, await drafts.listing(services), message.message_id)


@router.message(Command("close_hotline"), InAdminChat())
async def close(
    message: Message, command: CommandObject, services: Services, moderators: Moderators
) -> None:
    mod = await _moderator(message, services, moderators, "close_hotline")
    if mod is None:
        return
    if not command.args or not command.args.strip().isdigit():
        raise InvalidInput("/close_hotline ID")
    hotline = await drafts.close(services, mod.actor, int(command.args.strip()))
    await _say(
        services,
        services.texts("hotline.closed", id=hotline.id, topic=hotline.topic),
        message.message_id,
    )


@router.message(Command("digest"), InAdminChat())
async def send_digest(
    message: Message, command: CommandObject, services: Services, moderators: Moderators
) -> None:
    mod = await _moderator(message, services, moderators, "digest")
    if mod is None:
        return
    raw = (command.args or "").strip().lstrip("№#")
    if not raw.isdigit():
        raise InvalidInput(services.texts("digest.usage"))
    await digest.to_admin_chat(services, int(raw), mod.actor, reply_to=message.message_id)


@router.message(InDialogue(), ~F.text.startswith("/"))
async def step(message: Message, services: Services, moderators: Moderators) -> None:
    mod = await _moderator(message, services, moderators, "hotline dialogue")
    if mod is not None:
        await drafts.step(services, mod, message.text or "", message.message_id)
