"""Press releases from the admin chat: /post (or the publishing topic), preview buttons,
replies to our own messages (new text, a time, a captcha code).

Only replies to messages this module sent are matched (checked in the database), so
replies to other features' messages in the same chat fall through to their routers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, Filter
from aiogram.types import CallbackQuery, Message

from bots.telegram.entities import strip_command, to_document
from bots.telegram.filters import InAdminChat
from bots.telegram.middleware import Action
from bots.telegram.moderators import Moderators
from bots.telegram.sender import FILE_ID
from shared.callbacks import CallbackToken
from shared.clock import utcnow
from shared.domain import Platform, PostKind
from shared.errors import GlashataiError, InvalidInput, NotAllowed
from shared.posts import repo, service
from shared.posts.service import NewMedia
from shared.posts.when import parse_when
from shared.replies import send_text
from shared.richtext import Document
from shared.services import Services

router = Router(name=__name__)
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


async def _require_moderator(message: Message | CallbackQuery, moderators: Moderators) -> str:
    user = message.from_user
    if user is None or not await moderators.is_moderator(user.id):
        raise NotAllowed("not a moderator")
    return f"tg:{user.id}"


async def _media_of(bot: Bot, messages: Sequence[Message]) -> list[NewMedia]:
    out: list[NewMedia] = []
    for message in messages:
        if message.photo:
            size = message.photo[-1]
            data = await bot.download(size.file_id)
            raw = data.read() if data is not None else None
            name = f"photo_{size.file_unique_id}.jpg"
            out.append(NewMedia("photo", name, "image/jpeg", raw, {FILE_ID: size.file_id}))
        elif message.document:
            doc = message.document
            data = await bot.download(doc.file_id)
            raw = data.read() if data is not None else None
            out.append(
                NewMedia(
                    "document",
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
            Platform.TELEGRAM,
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


class Albums:
    """Collects an album's messages (one update each) before acting on them as one."""

    def __init__(self) -> None:
        self.groups: dict[tuple[int, str], list[Message]] = {}
        self.tasks: dict[tuple[int, str], asyncio.Task[None]] = {}

    def __contains__(self, key: tuple[int, str]) -> bool:
        return key in self.groups

    def add(self, message: Message, wait: float, then: Any) -> None:
        key = (message.chat.id, message.media_group_id or "")
        self.groups.setdefault(key, []).append(message)
        task = self.tasks.pop(key, None)
        if task is not None:
            task.cancel()
        self.tasks[key] = asyncio.create_task(self._later(key, wait, then))

    async def _later(self, key: tuple[int, str], wait: float, then: Any) -> None:
        await asyncio.sleep(wait)
        self.tasks.pop(key, None)
        messages = sorted(self.groups.pop(key, []), key=lambda m: m.message_id)
        await then(messages)


albums = Albums()


class AlbumForUs(Filter):
    async def __call__(self, message: Message, services: Services) -> bool | dict[str, Any]:
        if message.media_group_id is None:
            return False
        if message.chat.id != services.settings.telegram.admin_chat_id:
            return False
        if (message.chat.id, message.media_group_id) in albums:
            return True
        caption = (message.caption or "").split(maxsplit=1)
        if caption and caption[0].split("@")[0] in {f"/{c}" for c in COMMANDS}:
            return True
        replied = await ReplyToOurs()(message, services)
        if replied:
            return True
        return await InTopic()(message, services)


@router.message(AlbumForUs())
async def album_part(
    message: Message, services: Services, moderators: Moderators, bot: Bot
) -> None:
    actor = await _require_moderator(message, moderators)

    async def finish(messages: list[Message]) -> None:
        try:
            first = next((m for m in messages if m.reply_to_message is not None), None)
            ours = await ReplyToOurs()(first, services) if first is not None else False
            if isinstance(ours, dict):
                await _on_reply(services, bot, messages, ours["ours"], actor)
            else:
                await _create(services, bot, messages, actor, command=True)
        except GlashataiError as exc:
            await send_text(
                services, Platform.TELEGRAM, message.chat.id, services.texts.explain(exc)
            )
        except Exception:
            log.exception("album %s: could not be turned into a post", message.media_group_id)

    albums.add(message, services.settings.publishing.album_wait_seconds, finish)


@router.message(Command(*COMMANDS), InAdminChat())
async def post_command(
    message: Message, services: Services, moderators: Moderators, bot: Bot
) -> None:
    actor = await _require_moderator(message, moderators)
    await _create(services, bot, [message], actor, command=True)


@router.message(ReplyToOurs())
async def reply_to_ours(
    message: Message,
    services: Services,
    moderators: Moderators,
    bot: Bot,
    ours: tuple[int, str, int | None],
) -> None:
    actor = await _require_moderator(message, moderators)
    await _on_reply(services, bot, [message], ours, actor)


@router.message(InTopic(), ~F.text.startswith("/"))
async def topic_message(
    message: Message, services: Services, moderators: Moderators, bot: Bot
) -> None:
    actor = await _require_moderator(message, moderators)
    await _create(services, bot, [message], actor, command=False)


@router.callback_query(Action("post."))
async def button(
    callback: CallbackQuery, services: Services, moderators: Moderators, token: CallbackToken
) -> None:
    actor = await _require_moderator(callback, moderators)
    target = token.target_id or 0
    action = token.action
    t = services.texts
    done = ""
    if action == "post.publish":
        await service.publish_now(services, target, actor)
        done = t("posts.done.publishing", id=target)
    elif action == "post.schedule":
        await service.prompt(services, target, "time")
    elif action == "post.toggle":
        await service.toggle_platform(services, target, str(token.data.get("platform")), actor)
    elif action == "post.text":
        await service.prompt(services, target, "text")
    elif action == "post.append":
        await service.prompt(services, target, "append")
    elif action == "post.cancel":
        await service.cancel(services, target, actor)
        done = t("posts.done.cancelled", id=target)
    elif action == "post.delete":
        await service.prompt(services, target, "delete")
    elif action == "post.del_yes":
        await service.delete(services, target, actor)
        done = t("posts.done.deleted", id=target)
    elif action == "post.del_no":
        done = t("posts.done.kept", id=target)
    elif action in {"post.unk_yes", "post.unk_no"}:
        await service.resolve_unknown(
            services, target, delivered=action == "post.unk_yes", actor=actor
        )
        done = t("posts.done.resolved")
    with contextlib.suppress(Exception):
        await callback.answer(done or None)
