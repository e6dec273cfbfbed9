"""The admin chat's moderation: replies to question cards, card buttons and commands.

Only replies to question cards are matched (the filter looks the replied-to message up in
the database), so replies to other features' messages fall through to their routers.
Anyone who is not a moderator is ignored; the attempt is logged and audited.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject, Filter
from aiogram.types import CallbackQuery, Message

from bots.telegram.filters import InAdminChat
from bots.telegram.handlers.citizen import download
from bots.telegram.middleware import Action
from bots.telegram.moderators import Moderators
from shared.callbacks import CallbackToken
from shared.errors import InvalidInput
from shared.hotlines import digest, moderation
from shared.hotlines.model import Moderator
from shared.services import Services

router = Router(name=__name__)
log = logging.getLogger(__name__)

RECORD_WAIT_STEPS = 10


class CardReply(Filter):
    """A reply to a question card; hands the handler ``question_id``."""

    async def __call__(self, message: Message, services: Services) -> bool | dict[str, Any]:
        replied = message.reply_to_message
        if replied is None or message.chat.id != services.settings.telegram.admin_chat_id:
            return False
        if message.text is not None and message.text.startswith("/"):
            return False
        found = await moderation.question_for_reply(services, message.chat.id, replied.message_id)
        if found is None and replied.from_user is not None and replied.from_user.is_bot:
            # The card may have just gone out and its messages not be recorded yet.
            for _ in range(RECORD_WAIT_STEPS):
                await asyncio.sleep(0.1)
                found = await moderation.question_for_reply(
                    services, message.chat.id, replied.message_id
                )
                if found is not None:
                    break
        return {"question_id": found} if found is not None else False


async def _moderator(
    event: Message | CallbackQuery, services: Services, moderators: Moderators, what: str
) -> Moderator | None:
    user = event.from_user
    if user is None or not await moderators.is_moderator(user.id):
        log.info("admin chat: %s by non-moderator %s ignored", what, user.id if user else None)
        await moderation.denied(services, user.id if user else None, what)
        return None
    return Moderator(user.id, user.first_name)


@router.message(CardReply())
async def answer(
    message: Message, services: Services, moderators: Moderators, bot: Bot, question_id: int
) -> None:
    mod = await _moderator(message, services, moderators, "answer")
    if mod is None:
        return
    attachments = await download(bot, message)
    text = message.text or message.caption or ""
    if not text.strip() and not attachments:
        return
    outcome = await moderation.answer(
        services, mod, question_id, text, attachments, reply_to=message.message_id
    )
    log.info("question %s: reply by %s: %s", question_id, mod.id, outcome.result.value)


async def _say(services: Services, text: str, reply_to: int | None) -> None:
    async with services.db.write() as conn:
        await moderation.notify(conn, services, text, reply_to=reply_to)
    services.wake_outbox()


@router.message(Command("queue"), InAdminChat())
async def queue(message: Message, services: Services, moderators: Moderators) -> None:
    if await _moderator(message, services, moderators, "queue") is None:
        return
    doc, buttons = await moderation.queue(services)
    async with services.db.write() as conn:
        await moderation.notify(conn, services, doc, reply_to=message.message_id, buttons=buttons)
    services.wake_outbox()


@router.message(Command("next"), InAdminChat())
async def next_question(message: Message, services: Services, moderators: Moderators) -> None:
    mod = await _moderator(message, services, moderators, "next")
    if mod is not None:
        await moderation.next_question(services, mod, reply_to=message.message_id)


@router.message(Command("stats"), InAdminChat())
async def stats(message: Message, services: Services, moderators: Moderators) -> None:
    if await _moderator(message, services, moderators, "stats") is None:
        return
    await _say(services, await moderation.stats(services), message.message_id)


async def _ticket(message: Message, command: CommandObject, services: Services) -> int:
    if command.args and command.args.strip().lstrip("№#").isdigit():
        return int(command.args.strip().lstrip("№#"))
    replied = message.reply_to_message
    if replied is not None:
        found = await moderation.question_for_reply(services, message.chat.id, replied.message_id)
        if found is not None:
            return found
    raise InvalidInput(services.texts("moderation.ban_usage"))


@router.message(Command("ban", "unban"), InAdminChat())
async def ban(
    message: Message, command: CommandObject, services: Services, moderators: Moderators
) -> None:
    mod = await _moderator(message, services, moderators, command.command)
    if mod is None:
        return
    ticket = await _ticket(message, command, services)
    text = await moderation.set_ban(services, mod, ticket, command.command == "ban")
    await _say(services, text, message.message_id)


@router.callback_query(Action("mod."))
async def button(
    query: CallbackQuery,
    services: Services,
    moderators: Moderators,
    token: CallbackToken,
) -> None:
    mod = await _moderator(query, services, moderators, token.action)
    if mod is None:
        await query.answer()
        return
    reply = ""
    target = token.target_id
    if token.action == "mod.queue":
        doc, buttons = await moderation.queue(services, after_id=target or 0)
        async with services.db.write() as conn:
            await moderation.notify(conn, services, doc, buttons=buttons)
        services.wake_outbox()
    elif target is None:
        pass
    elif token.action == "mod.take":
        reply = await moderation.take(services, mod, target)
    elif token.action == "mod.publishable":
        reply = await moderation.toggle_publishable(services, mod, target)
    elif token.action == "mod.reject_menu":
        await moderation.reject_menu(services, mod, target, True)
    elif token.action == "mod.back":
        await moderation.reject_menu(services, mod, target, False)
    elif token.action == "mod.reject":
        reply = await moderation.reject(services, mod, target, str(token.data.get("r")))
    elif token.action == "mod.digest_post":
        post_id = await digest.draft_post(services, target, mod.actor)
        reply = services.texts("digest.draft_created", id=post_id)
    await query.answer(reply or None)


@router.callback_query()
async def unknown_button(query: CallbackQuery, token: CallbackToken | None) -> None:
    """A forged or stale button: nothing happens, and Telegram stops the spinner."""
    if token is None:
        log.info("button with an unknown token from %s ignored", query.from_user.id)
    await query.answer()
