"""Citizens in private chats: each message becomes a neutral call into the hotline core.

Photos and documents are downloaded here (the card and a VK delivery need the bytes) and
their ``file_id`` is kept so Telegram never receives the same bytes twice. Anything else
(a voice message, a sticker, a location, a contact, a poll, a die…) is refused with «please
write it in text»; a service message (a pin, a timer changed) is no message of the
citizen's and gets no answer.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from aiogram import Bot, F, Router
from aiogram.enums import ContentType
from aiogram.types import CallbackQuery, Message

from bots.telegram import NAME
from bots.telegram.middleware import Action
from bots.telegram.render import TEXT_LIMIT
from bots.telegram.sender import FILE_ID
from shared.callbacks import CallbackToken
from shared.domain import MediaKind
from shared.hotlines import conversation
from shared.hotlines.model import Attachment, Incoming, may_continue
from shared.services import Services

log = logging.getLogger(__name__)

MAX_DOWNLOAD = 20 * 1024 * 1024
# Refused even with a caption: the question would lose what it was about.
UNSUPPORTED = ("voice", "sticker", "video_note", "video", "audio", "animation")
# What Telegram puts in a private chat by itself, not written by the citizen.
SERVICE = {
    ContentType.PINNED_MESSAGE,
    ContentType.MESSAGE_AUTO_DELETE_TIMER_CHANGED,
    ContentType.WRITE_ACCESS_ALLOWED,
    ContentType.CHAT_BACKGROUND_SET,
    ContentType.CONNECTED_WEBSITE,
}


def _name(message: Message) -> str | None:
    user = message.from_user
    return user.full_name if user is not None else None


def incoming(
    message: Message,
    *,
    start: bool = False,
    attachments: tuple[Attachment, ...] = (),
    start_payload: str | None = None,
) -> Incoming:
    full = _name(message)

    async def name() -> str | None:
        return full

    text = addressed_to_us(message.text or message.caption or "")
    refused = any(getattr(message, kind) is not None for kind in UNSUPPORTED)
    # Nothing to take at all (a location, a contact, a poll, a die, a document too large to
    # download…): refused too, rather than read as an empty message (the greeting again).
    unsupported = (refused or not text.strip()) and not attachments and not start
    return Incoming(
        platform=NAME,
        user_id=str(message.from_user.id if message.from_user else message.chat.id),
        peer=str(message.chat.id),
        text=text,
        attachments=attachments,
        unsupported=unsupported,
        start=start,
        start_payload=start_payload,
        album=message.media_group_id,
        name=name,
        known_name=full,
        # Unique in its chat: the same message redelivered (an offset a crash left
        # unconfirmed) has the same id.
        message_id=str(message.message_id),
        # Telegram's apps send a text past 4096 characters as several messages.
        may_continue=message.text is not None and may_continue(text, TEXT_LIMIT),
    )


def addressed_to_us(text: str) -> str:
    """``/forget@OurBot`` as ``/forget``: Telegram's clients add the bot's name to a command
    picked from the menu in some chats, and in a private chat every command is ours."""
    head, space, rest = text.partition(" ")
    if head.startswith("/") and "@" in head:
        return head.split("@", 1)[0] + space + rest
    return text


async def download(bot: Bot, message: Message) -> tuple[Attachment, ...]:
    """The photo (largest size) or document of a message, bytes and file_id."""
    if message.photo:
        size = message.photo[-1]
        data = await bot.download(size.file_id)
        raw = data.read() if data is not None else None
        return (
            Attachment(
                kind=MediaKind.PHOTO,
                filename=f"{size.file_unique_id}.jpg",
                mime="image/jpeg",
                data=raw,
                refs={FILE_ID: size.file_id},
            ),
        )
    if message.document and (message.document.file_size or 0) <= MAX_DOWNLOAD:
        doc = message.document
        data = await bot.download(doc.file_id)
        raw = data.read() if data is not None else None
        return (
            Attachment(
                kind=MediaKind.DOCUMENT,
                filename=doc.file_name or "file",
                mime=doc.mime_type or "application/octet-stream",
                data=raw,
                refs={FILE_ID: doc.file_id},
            ),
        )
    return ()


def too_big(message: Message) -> tuple[str, ...]:
    """A document over what a bot may download (20 MB): it can't be kept, only named."""
    doc = message.document
    if doc is None or (doc.file_size or 0) <= MAX_DOWNLOAD:
        return ()
    return (doc.file_name or "файл",)


async def on_message(message: Message, services: Services, bot: Bot) -> None:
    if message.content_type in SERVICE:
        return
    attachments = await download(bot, message)
    found = replace(incoming(message, attachments=attachments), left_out=too_big(message))
    await conversation(services).message(found)


async def on_press(query: CallbackQuery, services: Services, token: CallbackToken | None) -> None:
    full = query.from_user.full_name

    async def name() -> str | None:
        return full

    if await conversation(services).press(NAME, str(query.from_user.id), token, name):
        await query.answer()
    else:
        await answer_stale(query, services)


async def answer_stale(query: CallbackQuery, services: Services) -> None:
    """A button that is not the citizen's (any more: their data deleted, or a token
    forgotten): the press is answered with a notice saying so."""
    await query.answer(services.texts("citizen.stale_button"))


def router() -> Router:
    """Citizens in private chats with the bot."""
    found = Router(name=__name__)
    found.message.register(on_message, F.chat.type == "private")
    found.callback_query.register(on_press, Action("citizen."))
    return found
