"""The admin chat's moderation: replies to question cards (and edits of them), card
buttons and commands.

Only replies to question cards are matched (the filter looks the replied-to message up in
the database), so replies to other features' messages fall through to their routers.
Anyone who is not a moderator is ignored; the attempt is logged and audited (the guard).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject, Filter
from aiogram.types import CallbackQuery, Message

from bots.telegram import NAME, numbers
from bots.telegram.albums import Albums
from bots.telegram.entities import to_document
from bots.telegram.filters import InAdminChat
from bots.telegram.handlers.citizen import download, too_big
from bots.telegram.middleware import Action
from bots.telegram.moderators import guarded
from shared.callbacks import CallbackToken
from shared.errors import GlashataiError, InvalidInput
from shared.hotlines import digest, groups, moderation
from shared.hotlines.model import Moderator
from shared.replies import send_text
from shared.richtext import Document, join
from shared.services import Services

log = logging.getLogger(__name__)

# What a moderator's reply may carry that an answer cannot (each named in ``[moderation]``).
UNSENDABLE = (
    "voice",
    "video_note",
    "sticker",
    "video",
    "audio",
    "animation",
    "location",
    "venue",
    "contact",
    "poll",
    "dice",
)

RECORD_WAIT_STEPS = 10
# Seconds: a message of ours older than this that is not a recorded card is not one.
RECORD_WAIT_WINDOW = 30.0


class CardReply(Filter):
    """A reply to a question card; hands the handler ``question_id``."""

    async def __call__(self, message: Message, services: Services) -> bool | dict[str, Any]:
        replied = message.reply_to_message
        if replied is None or message.chat.id != services.settings.telegram.admin_chat_id:
            return False
        if message.text is not None and message.text.startswith("/"):
            return False
        found = await moderation.question_for_reply(services, message.chat.id, replied.message_id)
        if found is None and _fresh_from_us(replied):
            # The card may have just gone out and its messages not be recorded yet.
            for _ in range(RECORD_WAIT_STEPS):
                await asyncio.sleep(0.1)
                found = await moderation.question_for_reply(
                    services, message.chat.id, replied.message_id
                )
                if found is not None:
                    break
        return {"question_id": found} if found is not None else False


def _fresh_from_us(replied: Message) -> bool:
    """A bot's message sent moments ago: it may be a card whose ids are not recorded yet.

    Older ones are not waited for: a reply to a dialogue's question or a notice then goes
    on to the next handler at once."""
    if replied.from_user is None or not replied.from_user.is_bot:
        return False
    return time.time() - replied.date.timestamp() < RECORD_WAIT_WINDOW


async def _answer(
    services: Services,
    moderator: Moderator,
    bot: Bot,
    question_id: int,
    messages: Sequence[Message],
) -> None:
    """One answer (or correction) from one reply, or from every part of an album reply:
    the citizen gets its photos together, under one header."""
    attachments = tuple([a for m in messages for a in await download(bot, m)])
    text = _text_of(messages)
    reply_to = messages[0].message_id
    left = _left_out(services, messages)
    if text.is_empty() and not attachments:
        if left:
            said = services.texts("moderation.reply_unsendable", what=", ".join(left))
            await send_text(services, NAME, messages[0].chat.id, said, reply_to=reply_to)
        return
    outcome = await groups.answer(
        services, moderator, question_id, text, attachments, reply_to=reply_to
    )
    log.info("question %s: reply by %s: %s", question_id, moderator.id, outcome.result.value)
    if left and outcome.result in groups.DELIVERED:
        said = services.texts("moderation.reply_left_out", what=", ".join(left))
        await send_text(services, NAME, messages[0].chat.id, said, reply_to=reply_to)


def _left_out(services: Services, messages: Sequence[Message]) -> list[str]:
    """What of a reply cannot reach the citizen: a voice message, a sticker, a video… (the
    answer goes to every platform as text, photos and documents), or a document over what a
    bot may download. Named to the moderator rather than dropped unsaid."""
    left: list[str] = []
    for message in messages:
        left += [services.texts("moderation.too_big", name=name) for name in too_big(message)]
        left += [
            services.texts(f"moderation.kind_{kind}")
            for kind in UNSENDABLE
            if getattr(message, kind) is not None
        ]
    return left


def _text_of(messages: Sequence[Message]) -> Document:
    """The reply's text as rich text: a link hidden behind words («на сайте»), bold and
    italic reach the citizen as the moderator wrote them. An album's caption is on one
    part (usually the first); should several parts carry one, none is lost."""
    return join(*(_rich(m) for m in messages))


def _rich(message: Message) -> Document:
    if message.text is not None:
        return to_document(message.text, message.entities)
    return to_document(message.caption, message.caption_entities)


def _answering(albums: Albums) -> Callable[..., Awaitable[None]]:
    """The handler of replies to cards. An album's parts come as separate updates, each a
    reply to the card: they are collected (in this router's ``albums``) and answered once,
    or the first part would be the answer and every other one a correction."""

    async def answer(
        message: Message, services: Services, moderator: Moderator, bot: Bot, question_id: int
    ) -> None:
        if message.media_group_id is None:
            await _answer(services, moderator, bot, question_id, [message])
            return

        async def whole(messages: list[Message]) -> None:
            # Runs after the update's handling: the errors router no longer sees it.
            try:
                await _answer(services, moderator, bot, question_id, messages)
            except GlashataiError as exc:
                await send_text(services, NAME, message.chat.id, services.texts.explain(exc))
            except Exception:
                log.exception("question %s: album reply could not be answered", question_id)

        albums.add(message, services.settings.publishing.album_wait_seconds, whole)

    return answer


async def answer_edited(
    message: Message, services: Services, moderator: Moderator, question_id: int
) -> None:
    """A moderator edited their reply to a card (a typo fixed): the citizen gets the new
    text as a correction, as from a second reply. Only the text: the update carries one
    part of an album, and the photos the citizen has are not taken back. An edit that
    leaves the text as it was, or of a reply that answered nothing, sends nothing."""
    text = _text_of([message])
    if text.is_empty():
        return
    outcome = await groups.answer_edit(services, moderator, question_id, text, message.message_id)
    result = outcome.result.value if outcome is not None else "nothing to send"
    log.info("question %s: reply edited by %s: %s", question_id, moderator.id, result)


async def say(services: Services, text: str, reply_to: int | None) -> None:
    async with services.db.write() as conn:
        await moderation.notify(conn, services, text, reply_to=reply_to)
    services.wake_outbox()


async def queue(message: Message, services: Services) -> None:
    await _queue_page(services, 0, reply_to=message.message_id)


async def _queue_page(services: Services, after_id: int, reply_to: int | None = None) -> None:
    await moderation.send_queue(services, after_id, reply_to)


async def next_question(message: Message, services: Services, moderator: Moderator) -> None:
    await moderation.next_question(services, moderator, reply_to=message.message_id)


async def stats(message: Message, services: Services) -> None:
    await say(services, await moderation.stats(services), message.message_id)


async def _ticket(message: Message, command: CommandObject, services: Services) -> int:
    """The question's number after the command, or the card the command replies to."""
    if (typed := numbers.number(command.args)) is not None:
        return typed
    replied = message.reply_to_message
    if replied is not None:
        found = await moderation.question_for_reply(services, message.chat.id, replied.message_id)
        if found is not None:
            return found
    raise InvalidInput(services.texts("moderation.ban_usage"))


async def ban(
    message: Message, command: CommandObject, services: Services, moderator: Moderator
) -> None:
    ticket = await _ticket(message, command, services)

    async def act(question_id: int) -> None:
        banned = command.command == "ban"
        text = await moderation.set_ban(services, moderator, question_id, banned)
        await say(services, text, message.message_id)

    if not await numbers.acted_on(ticket, act):
        await say(services, services.texts("missing.question", id=ticket), message.message_id)


# A card button: (services, moderator, the token's target, the token) -> the toast, if any.
CardButton = Callable[[Services, Moderator, int, CallbackToken], Awaitable[str | None]]


async def _digest_post(services: Services, mod: Moderator, hotline_id: int) -> str:
    drafted = await digest.draft_post(services, hotline_id, mod.actor)
    key = "digest.draft_created" if drafted.created else "digest.draft_exists"
    return services.texts(key, id=drafted.post_id)


def _ids(token: CallbackToken) -> list[int] | None:
    """The questions a «Ответить всем» button showed (None on a button issued before)."""
    ids = token.data.get("ids")
    return [int(i) for i in ids] if isinstance(ids, list) else None


BUTTONS: dict[str, CardButton] = {
    "mod.queue": lambda s, m, target, t: _queue_page(s, target),
    "mod.take": lambda s, m, target, t: moderation.take(s, m, target),
    "mod.publishable": lambda s, m, target, t: moderation.toggle_publishable(s, m, target),
    "mod.reject_menu": lambda s, m, target, t: moderation.reject_menu(s, m, target, True),
    "mod.back": lambda s, m, target, t: moderation.reject_menu(s, m, target, False),
    "mod.reject": lambda s, m, target, t: moderation.reject(s, m, target, str(t.data.get("r"))),
    "mod.digest_post": lambda s, m, target, t: _digest_post(s, m, target),
    "mod.group_all": lambda s, m, target, t: groups.answer_all(s, m, target, _ids(t)),
    "mod.group_one": lambda s, m, target, t: groups.answer_one(s, m, target),
    "mod.group_out": lambda s, m, target, t: groups.take_out(s, m, target, int(t.data["o"])),
}


async def button(
    query: CallbackQuery, services: Services, moderator: Moderator, token: CallbackToken
) -> None:
    action = BUTTONS.get(token.action)
    reply = await action(services, moderator, token.target_id or 0, token) if action else None
    await query.answer(reply or None)


def router() -> Router:
    """Moderation in the admin chat, for moderators only."""
    found = guarded(Router(name=__name__))
    albums = Albums()
    found.shutdown.register(albums.flush)  # an album reply being collected is not lost
    found.message.register(_answering(albums), CardReply())
    found.edited_message.register(answer_edited, CardReply())
    found.message.register(queue, Command("queue"), InAdminChat())
    found.message.register(next_question, Command("next"), InAdminChat())
    found.message.register(stats, Command("stats"), InAdminChat())
    found.message.register(ban, Command("ban", "unban"), InAdminChat())
    found.callback_query.register(button, Action("mod."))
    return found
