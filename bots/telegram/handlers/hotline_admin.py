"""Hotlines from the admin chat: /hotline starts a short dialogue, /hotlines lists them,
/close_hotline ID closes one now, /answer_days ID [DAYS] sets or shows its answer-by days,
/digest ID sends what may be published. The dialogue's state lives in the database."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, Filter
from aiogram.types import Message

from bots.telegram import numbers
from bots.telegram.filters import InAdminChat
from bots.telegram.handlers.moderation import say
from bots.telegram.moderators import guarded
from shared.alerts import drafts as alert_drafts
from shared.errors import InvalidInput
from shared.hotlines import deadlines, digest, drafts
from shared.hotlines.model import Moderator
from shared.services import Services


class InDialogue(Filter):
    """A plain message in the admin chat from someone halfway through creating a hotline."""

    async def __call__(self, message: Message, services: Services) -> bool | dict[str, Any]:
        if message.chat.id != services.settings.telegram.admin_chat_id:
            return False
        if message.from_user is None or message.text is None:
            return False
        return await drafts.active(services, message.from_user.id)


async def begin(message: Message, services: Services, moderator: Moderator) -> None:
    # Refused rather than begun beside it: the other dialogue would take the answers.
    if await alert_drafts.active(services, moderator.id):
        await say(services, services.texts("hotline.alert_in_progress"), message.message_id)
        return
    await drafts.begin(services, moderator, message.chat.id)


async def cancel(message: Message, services: Services, moderator: Moderator) -> None:
    await drafts.cancel(services, moderator)


async def nothing_to_cancel(message: Message, services: Services) -> None:
    """/cancel outside any dialogue (the alerts' and the hotline's took theirs before)."""
    await say(services, services.texts("hotline.nothing_to_cancel"), message.message_id)


async def listing(message: Message, services: Services) -> None:
    await say(services, await drafts.listing(services), message.message_id)


async def close(
    message: Message, command: CommandObject, services: Services, moderator: Moderator
) -> None:
    hotline_id = numbers.number(command.args)
    if hotline_id is None:
        raise InvalidInput("/close_hotline ID")

    async def act(found: int) -> None:
        hotline = await drafts.close(services, moderator.actor, found)
        closed = services.texts("hotline.closed", id=hotline.id, topic=hotline.topic)
        await say(services, closed, message.message_id)

    await _or_missing(services, message, hotline_id, act)


async def answer_days(
    message: Message, command: CommandObject, services: Services, moderator: Moderator
) -> None:
    typed = [numbers.number(word) for word in numbers.words(command.args)]
    parts = [n for n in typed if n is not None]
    if not 1 <= len(parts) <= 2 or len(parts) != len(typed):
        raise InvalidInput(services.texts("hotline.answer_days_usage"))
    hotline_id, days = parts[0], parts[1] if len(parts) == 2 else None

    async def act(found: int) -> None:
        said = await drafts.answer_days(services, moderator.actor, found, days)
        await say(services, said, message.message_id)

    await _or_missing(services, message, hotline_id, act)


async def send_digest(
    message: Message, command: CommandObject, services: Services, moderator: Moderator
) -> None:
    hotline_id = numbers.number(command.args)
    if hotline_id is None:
        raise InvalidInput(services.texts("digest.usage"))

    async def act(found: int) -> None:
        await digest.to_admin_chat(services, found, moderator.actor, reply_to=message.message_id)

    await _or_missing(services, message, hotline_id, act)


async def _or_missing(
    services: Services, message: Message, hotline_id: int, act: Callable[[int], Awaitable[None]]
) -> None:
    """``act`` on the hotline, or one line saying there is no hotline with that number."""
    if not await numbers.acted_on(hotline_id, act):
        said = services.texts("missing.hotline", id=hotline_id)
        await say(services, said, message.message_id)


async def overdue(message: Message, services: Services) -> None:
    await say(services, await deadlines.listing(services), message.message_id)


async def step(message: Message, services: Services, moderator: Moderator) -> None:
    await drafts.step(services, moderator, message.text or "", message.message_id)


def router() -> Router:
    """Hotline administration in the admin chat, for moderators only."""
    found = guarded(Router(name=__name__))
    found.message.register(begin, Command("hotline"), InAdminChat())
    found.message.register(cancel, Command("cancel"), InDialogue())
    found.message.register(nothing_to_cancel, Command("cancel"), InAdminChat())
    found.message.register(listing, Command("hotlines"), InAdminChat())
    found.message.register(close, Command("close_hotline"), InAdminChat())
    found.message.register(answer_days, Command("answer_days"), InAdminChat())
    found.message.register(send_digest, Command("digest"), InAdminChat())
    found.message.register(overdue, Command("overdue"), InAdminChat())
    found.message.register(step, InDialogue(), ~F.text.startswith("/"))
    return found
