"""Alerts on Telegram: citizens' /subscribe and their alerts buttons in private chats; in
the admin chat /alert (a dialogue kept in the database), its preview's buttons and
/alert_cancel ID. Everything else is in ``shared/alerts``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, Filter
from aiogram.types import CallbackQuery, Message

from bots.telegram import NAME, numbers
from bots.telegram.filters import InAdminChat
from bots.telegram.handlers import citizen
from bots.telegram.handlers.moderation import say
from bots.telegram.middleware import Action
from bots.telegram.moderators import guarded
from shared.alerts import drafts, feature, service
from shared.alerts.model import Press
from shared.callbacks import CallbackToken
from shared.clock import utcnow
from shared.errors import InvalidInput
from shared.hotlines import drafts as hotline_drafts
from shared.hotlines.model import Moderator
from shared.services import Services
from shared.storage.media import NewFile


class InDialogue(Filter):
    """A message in the admin chat from a moderator halfway through an /alert dialogue."""

    async def __call__(self, message: Message, services: Services) -> bool | dict[str, Any]:
        if message.chat.id != services.settings.telegram.admin_chat_id:
            return False
        if message.from_user is None or (message.text is None and not message.photo):
            return False
        return await drafts.active(services, message.from_user.id)


async def subscribe(message: Message, services: Services, bot: Bot) -> None:
    user = str(message.from_user.id if message.from_user else message.chat.id)
    if not await feature(services).subscriptions.menu(NAME, user):
        await citizen.on_message(message, services, bot)  # the conversation asks for consent


class TypedOut(Filter):
    """«Отписаться» (or /unsubscribe) typed by a citizen, text alone."""

    async def __call__(self, message: Message, services: Services) -> bool:
        typed = message.text or ""
        return feature(services).subscriptions.wants_out(typed) and not message.photo


async def unsubscribe(message: Message, services: Services, bot: Bot) -> None:
    user = str(message.from_user.id if message.from_user else message.chat.id)
    if not await feature(services).subscriptions.unsubscribe_all(NAME, user):
        await citizen.on_message(message, services, bot)  # a stranger: greeted


async def press(query: CallbackQuery, services: Services, token: CallbackToken | None) -> None:
    if await feature(services).subscriptions.press(NAME, str(query.from_user.id), token):
        await query.answer()
    else:
        await citizen.answer_stale(query, services)  # an old menu's, after a withdrawal


async def begin(message: Message, services: Services, moderator: Moderator) -> None:
    # Refused rather than begun beside it: the other dialogue would take the answers.
    if await hotline_drafts.active(services, moderator.id):
        await say(services, services.texts("alerts.hotline_in_progress"), message.message_id)
        return
    await drafts.begin(services, moderator, message.chat.id)


async def cancel_dialogue(message: Message, services: Services, moderator: Moderator) -> None:
    await drafts.cancel(services, moderator)


async def step(message: Message, services: Services, moderator: Moderator, bot: Bot) -> None:
    photo: NewFile | None = None
    if message.photo:
        found = await citizen.download(bot, message)
        if found:
            first = found[0]
            photo = NewFile(first.kind, first.filename, first.mime, first.data, dict(first.refs))
    text = message.text or message.caption or ""
    await drafts.step(services, moderator, text, photo, message.message_id)


async def confirm(
    query: CallbackQuery, services: Services, moderator: Moderator, token: CallbackToken
) -> None:
    await query.answer()
    await drafts.confirm(services, moderator, token)


async def discard(
    query: CallbackQuery, services: Services, moderator: Moderator, token: CallbackToken
) -> None:
    await query.answer()
    await drafts.discard(services, moderator, token)


async def cancel_alert(
    message: Message, command: CommandObject, services: Services, moderator: Moderator
) -> None:
    alert_id = numbers.number(command.args)
    if alert_id is None:
        raise InvalidInput(services.texts("alerts.usage_cancel"))

    async def act(found: int) -> None:
        await service.cancel(services, found, moderator.actor)

    await _or_missing(services, message, alert_id, act)


async def status(
    message: Message, command: CommandObject, services: Services, moderator: Moderator
) -> None:
    alert_id = numbers.number(command.args)
    if alert_id is None:
        raise InvalidInput(services.texts("alerts.usage_status"))

    async def act(found: int) -> None:
        alert, figures = await service.status(services, found)
        said = service.describe(services, alert, figures, utcnow())
        await say(services, said, message.message_id)

    await _or_missing(services, message, alert_id, act)


async def _or_missing(
    services: Services, message: Message, alert_id: int, act: Callable[[int], Awaitable[None]]
) -> None:
    """``act`` on the alert, or one line saying there is no alert with that number."""
    if not await numbers.acted_on(alert_id, act):
        await say(services, services.texts("missing.alert", id=alert_id), message.message_id)


def citizen_router() -> Router:
    """Citizens: /subscribe (or the menu words), «Отписаться» typed, the alerts buttons."""
    found = Router(name=f"{__name__}.citizens")
    found.message.register(
        subscribe, F.chat.type == "private", Command("subscribe", ignore_case=True)
    )
    found.message.register(unsubscribe, F.chat.type == "private", TypedOut())
    found.callback_query.register(press, Action(Press.TOGGLE))
    found.callback_query.register(press, Action(Press.UNSUBSCRIBE))
    found.callback_query.register(press, Action(Press.PAGE))
    return found


def router() -> Router:
    """Alerts in the admin chat, for moderators only."""
    found = guarded(Router(name=__name__))
    found.message.register(begin, Command("alert"), InAdminChat())
    found.message.register(cancel_alert, Command("alert_cancel"), InAdminChat())
    found.message.register(status, Command("alert_status"), InAdminChat())
    found.message.register(cancel_dialogue, Command("cancel"), InDialogue())
    found.message.register(step, InDialogue(), ~F.text.startswith("/"))
    found.callback_query.register(confirm, Action(Press.CONFIRM))
    found.callback_query.register(discard, Action(Press.DISCARD))
    return found
