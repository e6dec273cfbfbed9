"""Press releases from the admin chat: /post (or the publishing topic), preview buttons,
replies to our own messages (new text, a time, a captcha code).

Only replies to messages this module sent are matched (checked in the database), so
replies to other features' messages in the same chat fall through to their routers.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, Filter
from aiogram.types import CallbackQuery, Message

from bots.telegram import NAME
from bots.telegram.albums import Albums
from bots.telegram.entities import strip_command, to_document
from bots.telegram.filters import InAdminChat
from bots.telegram.middleware import Action
from bots.telegram.moderators import guarded
from bots.telegram.sender import FILE_ID
from shared.callbacks import CallbackToken
from shared.clock import utcnow
from shared.domain import MediaKind, PostKind
from shared.errors import GlashataiError, InvalidInput
from shared.hotlines.model import Moderator
from shared.posts import repo, service
from shared.posts.service import NewMedia
from shared.posts.when import parse_when
from shared.replies import send_text
from shared.richtext import Document
from shared.services import Services

log = logging.getLogger(__name__)

COMMANDS = ("post", "urgent")


class ReplyToOurs(Filter):
    """A reply to one of our post messages; hands the handler ``ours=(post, role, outbox)``."""

    async def __call__(self, message: Message, services: Services) -> bool | dict[str, Any]:
        replied = message.reply_to_message
        if replied is None or message.chat.id != services.settings.telegram.admin_chat_id:
            return False
        async with services.db.read() as conn:
            found = await repo.message_role(conn, message.chat.id, replied.message_id)
        return {"ours": found} if found is not None else False


class InTopic(Filter):
    """A new message (not a reply) in the admin chat's publishing topic."""

    async def __call__(self, message: Message, services: Services) -> bool:
        topic = services.settings.publishing.topic_id
        if topic is None or message.chat.id != services.settings.telegram.admin_chat_id:
            return False
        replied = message.reply_to_message
        return message.message_thread_id == topic and (
            replied is None or replied.message_id == topic
        )


async def _media_of(bot: Bot, messages: Sequence[Message]) -> list[NewMedia]:
    out: list[NewMedia] = []
    for message in messages:
        if message.photo:
            size = message.photo[-1]
            data = await bot.download(size.file_id)
            raw = data.read() if data is not None else None
            name = f"photo_{size.file_unique_id}.jpg"
            out.append(NewMedia(MediaKind.PHOTO, name, "image/jpeg", raw, {FILE_ID: size.file_id}))
        elif message.document:
            doc = message.document
            data = await bot.download(doc.file_id)
            raw = data.read() if data is not None else None
            out.append(
                NewMedia(
                    MediaKind.DOCUMENT,
                    doc.file_name or "document",
                    doc.mime_type or "application/octet-stream",
                    raw,
                    {FILE_ID: doc.file_id},
                )
            )
    return out


def _text_of(messages: Sequence[Message], command: bool) -> tuple[Document, PostKind]:
    kind = PostKind.PRESS_RELEASE
    for message in messages:
        text = message.text or message.caption
        entities = message.entities if message.text else message.caption_entities
        if not text:
            continue
        if command and text.startswith("/"):
            if text.split(maxsplit=1)[0].split("@")[0] == "/urgent":
                kind = PostKind.URGENT
            text, entities = strip_command(text, entities)
        return to_document(text, entities), kind
    return Document(), kind


async def _create(
    services: Services, bot: Bot, messages: Sequence[Message], actor: str, command: bool
) -> None:
    body, kind = _text_of(messages, command)
    media = await _media_of(bot, messages)
    await service.create(services, body=body, kind=kind, created_by=actor, media=media, draft=True)


async def _on_reply(
    services: Services,
    bot: Bot,
    messages: Sequence[Message],
    ours: tuple[int, str, int | None],
    actor: str,
) -> None:
    post_id, role, outbox_id = ours
    first = messages[0]
    text = first.text or next((m.caption for m in messages if m.caption), None)
    if role == "captcha" and outbox_id is not None:
        await service.answer_captcha(services, outbox_id, text or "", actor)
        await send_text(
            services,
            NAME,
            first.chat.id,
            services.texts("posts.done.captcha"),
            reply_to=first.message_id,
        )
        return
    if role == "time":
        try:
            at = parse_when(text or "", utcnow(), services.settings.tz)
        except InvalidInput:
            raise InvalidInput(
                services.texts("posts.errors.bad_time", text=(text or "")[:40])
            ) from None
        await service.schedule(services, post_id, at, actor)
        return
    if role not in {"preview", "text", "append"}:
        return
    media = await _media_of(bot, messages)
    if media:
        await service.add_media(services, post_id, media, actor)
    body, _ = _text_of(messages, command=False)
    if not body.is_empty():
        await service.edit(services, post_id, body, actor, append=role == "append")


class AlbumForUs(Filter):
    """A part of an album meant as a post or a reply to ours; hands the handler ``albums``."""

    def __init__(self, albums: Albums) -> None:
        self.albums = albums

    async def __call__(self, message: Message, services: Services) -> bool | dict[str, Any]:
        if message.media_group_id is None:
            return False
        if message.chat.id != services.settings.telegram.admin_chat_id:
            return False
        found = {"albums": self.albums}
        key = (message.chat.id, message.media_group_id)
        if key in self.albums:
            return found
        caption = (message.caption or "").split(maxsplit=1)
        if caption and caption[0].split("@")[0] in {f"/{c}" for c in COMMANDS}:
            self.albums.claim(key)
            return found
        if await ReplyToOurs()(message, services) or await InTopic()(message, services):
            self.albums.claim(key)
            return found
        if message.reply_to_message is not None:
            return False  # a reply's album says so in every part: to a card, not a post
        # A part without the caption: the part with it may not have been checked yet.
        wait = services.settings.publishing.album_wait_seconds
        return found if await self.albums.claimed_within(key, wait) else False


async def album_part(
    message: Message, services: Services, moderator: Moderator, bot: Bot, albums: Albums
) -> None:
    actor = moderator.actor

    async def finish(messages: list[Message]) -> None:
        try:
            first = next((m for m in messages if m.reply_to_message is not None), None)
            ours = await ReplyToOurs()(first, services) if first is not None else False
            if isinstance(ours, dict):
                await _on_reply(services, bot, messages, ours["ours"], actor)
            else:
                await _create(services, bot, messages, actor, command=True)
        except GlashataiError as exc:
            await send_text(services, NAME, message.chat.id, services.texts.explain(exc))
        except Exception:
            log.exception("album %s: could not be turned into a post", message.media_group_id)

    albums.add(message, services.settings.publishing.album_wait_seconds, finish)


async def post_command(
    message: Message, services: Services, moderator: Moderator, bot: Bot
) -> None:
    await _create(services, bot, [message], moderator.actor, command=True)


async def reply_to_ours(
    message: Message,
    services: Services,
    moderator: Moderator,
    bot: Bot,
    ours: tuple[int, str, int | None],
) -> None:
    await _on_reply(services, bot, [message], ours, moderator.actor)


async def topic_message(
    message: Message, services: Services, moderator: Moderator, bot: Bot
) -> None:
    await _create(services, bot, [message], moderator.actor, command=False)


# A preview button: (services, the post's id, the token, the actor) -> the toast, if any.
PostButton = Callable[[Services, int, CallbackToken, str], Awaitable[str | None]]


def _prompt(role: str) -> PostButton:
    """A button that asks the moderator for something (a time, a text, a confirmation)."""

    async def ask(services: Services, post_id: int, token: CallbackToken, actor: str) -> None:
        await service.prompt(services, post_id, role)

    return ask


async def _publish(services: Services, post_id: int, token: CallbackToken, actor: str) -> str:
    await service.publish_now(services, post_id, actor)
    return services.texts("posts.done.publishing", id=post_id)


async def _toggle(services: Services, post_id: int, token: CallbackToken, actor: str) -> None:
    await service.toggle_platform(services, post_id, str(token.data.get("platform")), actor)


async def _cancel(services: Services, post_id: int, token: CallbackToken, actor: str) -> str:
    await service.cancel(services, post_id, actor)
    return services.texts("posts.done.cancelled", id=post_id)


async def _delete(services: Services, post_id: int, token: CallbackToken, actor: str) -> str:
    done = await service.delete(services, post_id, actor)
    if done.by_hand:  # the chat gets a line for each platform to act on by hand
        return services.texts("posts.done.deleted_by_hand", id=post_id)
    return services.texts("posts.done.deleted", id=post_id)


async def _retry(services: Services, post_id: int, token: CallbackToken, actor: str) -> str:
    await service.retry(services, post_id, actor)
    return services.texts("posts.done.retrying", id=post_id)


async def _keep(services: Services, post_id: int, token: CallbackToken, actor: str) -> str:
    return services.texts("posts.done.kept", id=post_id)


def _resolve(delivered: bool) -> PostButton:
    """The moderator's word on a publication whose outcome is unknown."""

    async def resolve(services: Services, post_id: int, token: CallbackToken, actor: str) -> str:
        await service.resolve_unknown(services, post_id, delivered=delivered, actor=actor)
        return services.texts("posts.done.resolved")

    return resolve


BUTTONS: dict[str, PostButton] = {
    "post.publish": _publish,
    "post.retry": _retry,
    "post.schedule": _prompt("time"),
    "post.toggle": _toggle,
    "post.text": _prompt("text"),
    "post.append": _prompt("append"),
    "post.cancel": _cancel,
    "post.delete": _prompt("delete"),
    "post.del_yes": _delete,
    "post.del_no": _keep,
    "post.unk_yes": _resolve(delivered=True),
    "post.unk_no": _resolve(delivered=False),
}


async def button(
    callback: CallbackQuery, services: Services, moderator: Moderator, token: CallbackToken
) -> None:
    action = BUTTONS.get(token.action)
    done = await action(services, token.target_id or 0, token, moderator.actor) if action else None
    with contextlib.suppress(Exception):
        await callback.answer(done or None)


def router() -> Router:
    """Press releases from the admin chat, for moderators only."""
    found = guarded(Router(name=__name__))
    albums = Albums()
    found.shutdown.register(albums.flush)  # an album post being collected is not lost
    found.message.register(album_part, AlbumForUs(albums))
    found.message.register(post_command, Command(*COMMANDS), InAdminChat())
    found.message.register(reply_to_ours, ReplyToOurs())
    found.message.register(topic_message, InTopic(), ~F.text.startswith("/"))
    found.callback_query.register(button, Action("post."))
    return found
