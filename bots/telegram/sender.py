"""The Telegram half of the outbox: neutral rows to Bot API calls, errors to outcomes."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    RestartingTelegram,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaDocument,
    InputMediaPhoto,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
)
from aiohttp import ClientConnectorError

from bots.telegram import NAME
from bots.telegram.moves import ChatMoves, GroupUpgraded
from bots.telegram.render import CAPTION_LIMIT, chunks, to_html
from config.settings import OutboxSettings
from shared.delivered import KEY as DELIVERED
from shared.delivered import Delivered, RemoteMessage, Role, stored
from shared.domain import MediaKind, OutboxAction
from shared.outbox.dispatcher import Delivery
from shared.outbox.model import OutboxItem
from shared.outbox.outcomes import (
    OutcomeUnknown,
    PermanentFailure,
    RetryLater,
    TransientFailure,
)
from shared.outbox.payload import Button, MessagePayload
from shared.outbox.ratelimit import Rate, RateKey
from shared.richtext import utf16_len, visible_length
from shared.storage import media as media_repo
from shared.storage.engine import Database
from shared.storage.media import Media

log = logging.getLogger(__name__)

FILE_ID = "telegram_file_id"
CHANNEL = "wall"  # ``shared/posts``' destination for the office channel
# aiogram's models are frozen: the two previews are shared rather than built per send.
PREVIEWS = {shown: LinkPreviewOptions(is_disabled=not shown) for shown in (True, False)}


def delivered_before(remote: dict[str, Any]) -> Delivered:
    """What a publication stored: typed, or before that ``chat_id``, ``media_ids``…"""
    found = Delivered.from_dict(remote)
    if found is not None and "media_ids" not in remote and "text_ids" not in remote:
        return found
    media = [str(i) for i in remote.get("media_ids", [])]
    texts = [str(i) for i in remote.get("text_ids", [])]
    roles = [Role.MEDIA] * len(media)
    if media and remote.get("caption"):
        roles[0] = Role.CAPTION
    messages = [RemoteMessage(i, r) for i, r in zip(media, roles, strict=True)]
    messages += [RemoteMessage(i, Role.TEXT) for i in texts]
    chat = remote.get("chat_id")
    return Delivered(tuple(messages), refs={"chat_id": chat} if chat is not None else {})


def made(
    chat: int | str,
    ids: Sequence[int],
    roles: Sequence[Role],
    shown: dict[str, str],
    url: str | None = None,
) -> Delivered:
    """A send's or an edit's messages, each with its role and what it shows."""
    messages = tuple(
        RemoteMessage(str(i), r, shown.get(str(i))) for i, r in zip(ids, roles, strict=True)
    )
    return Delivered(messages, url=url, refs={"chat_id": chat})


def chat_ref(destination: str) -> int | str:
    """Numeric chat ids as ints, ``@channel`` names as they are."""
    try:
        return int(destination)
    except ValueError:
        return destination


def is_private(chat: int | str) -> bool:
    return isinstance(chat, int) and chat > 0


def public_link(chat: int | str, message_id: int) -> str | None:
    """``https://t.me/name/id`` for a public channel, ``https://t.me/c/…`` for a private one."""
    if is_private(chat):
        return None
    text = str(chat)
    if text.startswith("@"):
        return f"https://t.me/{text[1:]}/{message_id}"
    if text.startswith("-100"):
        return f"https://t.me/c/{text[4:]}/{message_id}"
    return f"https://t.me/c/{text.lstrip('-')}/{message_id}"


def keyboard(rows: Sequence[Sequence[Button]]) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text=b.label, url=b.url)
                if b.url
                else InlineKeyboardButton(text=b.label, callback_data=b.token)
                for b in row
            ]
            for row in rows
        ]
    )


def shown_digest(
    kind: str, html: str, markup: InlineKeyboardMarkup | None, preview: bool = False
) -> str:
    """What a message shows, in short: an edit to the same digest would change nothing."""
    keys = markup.model_dump_json(exclude_none=True) if markup else ""
    raw = json.dumps([kind, html, keys, preview], ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()[:24]


@dataclass
class _Sending:
    """One send's messages as its steps make them: ids, roles and what each shows."""

    chat: int | str
    payload: MessagePayload
    markup: InlineKeyboardMarkup | None
    fits_caption: bool  # the text fits under the first media as its caption
    caption_used: bool = False
    ids: list[int] = field(default_factory=list)
    roles: list[Role] = field(default_factory=list)
    shown: dict[str, str] = field(default_factory=dict)

    def reply(self) -> ReplyParameters | None:
        """What the next message replies to: only the first one replies."""
        if not self.payload.reply_to or self.ids:
            return None
        return ReplyParameters(message_id=self.payload.reply_to, allow_sending_without_reply=True)

    def take_caption(self, size: int) -> tuple[str | None, InlineKeyboardMarkup | None]:
        """The caption for a media group of ``size``, if it is the one to carry the text,
        and the buttons it carries (a lone media's only: albums take none)."""
        if self.caption_used or not self.fits_caption or (size > 1 and self.payload.buttons):
            return None, None
        self.caption_used = True
        return to_html(self.payload.doc), self.markup if size == 1 else None

    def add_media(
        self, sent: list[int], caption: str | None, markup: InlineKeyboardMarkup | None
    ) -> None:
        roles = [Role.MEDIA] * len(sent)
        if caption is not None:
            roles[0] = Role.CAPTION
            self.shown[str(sent[0])] = shown_digest("caption", caption, markup)
        self.ids.extend(sent)
        self.roles.extend(roles)

    def add_text(self, sent: list[int], digest: str) -> None:
        self.shown[str(sent[0])] = digest
        self.ids.extend(sent)
        self.roles.extend(Role.TEXT for _ in sent)

    def delivered(self) -> Delivered:
        url = public_link(self.chat, self.ids[0]) if self.ids else None
        return made(self.chat, self.ids, self.roles, self.shown, url)


async def outcome_of(call: Awaitable[Any], chat: int | str) -> Any:
    """Await a Bot API call; translate its failure into the outbox's vocabulary."""
    try:
        return await call
    except TelegramRetryAfter as exc:
        raise RetryLater(exc.message, float(exc.retry_after), scope=f"tg:chat:{chat}") from None
    except TelegramForbiddenError as exc:
        raise PermanentFailure(exc.message, unreachable=is_private(chat)) from None
    except (TelegramServerError, RestartingTelegram) as exc:
        raise TransientFailure(exc.message) from None
    except TelegramNetworkError as exc:
        if isinstance(exc.__cause__, ClientConnectorError):
            raise TransientFailure(f"connection failed: {exc.message}") from None
        raise OutcomeUnknown(f"no answer after sending: {exc.message}") from None
    except TelegramMigrateToChat as exc:
        raise GroupUpgraded(chat, exc.migrate_to_chat_id) from None
    except TelegramBadRequest as exc:
        raise PermanentFailure(exc.message) from None
    except TelegramAPIError as exc:
        raise PermanentFailure(exc.message) from None


class TelegramSender:
    platform = NAME

    def __init__(
        self,
        bot: Bot,
        db: Database,
        settings: OutboxSettings,
        channel: str | None = None,
        moves: ChatMoves | None = None,
    ) -> None:
        self.bot = bot
        self.db = db
        self.channel = channel  # the office channel: where ``CHANNEL`` rows go
        self.moves = moves
        self.global_rate = RateKey(
            "tg:global",
            Rate.per_second(
                settings.telegram_global_per_second, int(settings.telegram_global_per_second)
            ),
        )
        self.private_rate = Rate.per_second(
            settings.telegram_private_per_second, settings.telegram_private_burst
        )
        self.group_rate = Rate.per_minute(settings.telegram_group_per_minute)

    def idempotent(self, item: OutboxItem) -> bool:
        return item.action is OutboxAction.DELETE

    def rates(self, chat: int | str) -> list[RateKey]:
        per_chat = self.private_rate if is_private(chat) else self.group_rate
        return [self.global_rate, RateKey(f"tg:chat:{chat}", per_chat)]

    def _chat(self, destination: str, before: Delivered | None) -> int | str:
        chat = self._named(destination, before)
        return self.moves.resolve(chat) if self.moves is not None else chat

    def _named(self, destination: str, before: Delivered | None) -> int | str:
        if before is not None and before.refs.get("chat_id") is not None:
            return chat_ref(str(before.refs["chat_id"]))
        if destination == CHANNEL:
            if not self.channel:
                raise PermanentFailure("GLASHATAI_TELEGRAM__CHANNEL_ID is not set")
            return chat_ref(self.channel)
        return chat_ref(destination)

    async def deliver(self, item: OutboxItem, delivery: Delivery) -> Delivered:
        payload = MessagePayload.from_dict(item.payload)
        before = (
            delivered_before(dict(stored(payload.extra))) if DELIVERED in payload.extra else None
        )
        chat = self._chat(item.destination, before)
        if item.action is OutboxAction.SEND:
            return await self._send(chat, payload, delivery)
        if before is not None and not before.ids():
            # A publication that names no message (a send confirmed by a moderator): an
            # "edit" would post a second copy, a "deletion" would delete nothing.
            raise PermanentFailure("the publication names no message to change")
        if item.action is OutboxAction.EDIT:
            if before is not None:
                return await self._edit_post(chat, payload, before, delivery)
            return await self._edit(chat, payload, delivery)
        if item.action is OutboxAction.DELETE:
            if before is not None:
                ids = [int(i) for i in before.ids()]
                payload = MessagePayload(message_ids=tuple(ids))
            return await self._delete(chat, payload, delivery)
        raise PermanentFailure(f"unsupported action {item.action}")

    async def _media(self, ids: Sequence[int]) -> list[Media]:
        if not ids:
            return []
        async with self.db.read() as conn:
            found = [await media_repo.get(conn, i) for i in ids]
        return [m for m in found if m is not None]

    async def _remember(self, items: Sequence[Media], done: Any) -> list[int]:
        """Keep the file ids Telegram gave a media step's uploads; return its message ids.

        Runs after the step, on its recorded result: Telegram has the media whatever
        happens here, so a failure is logged and the next send simply uploads again.
        """
        if isinstance(done, list):  # a step journalled before results carried file ids
            return [int(i) for i in done]
        try:
            async with self.db.write() as conn:
                for item, file_id in zip(items, done["file_ids"], strict=False):
                    if file_id and item.refs.get(FILE_ID) != file_id:
                        await media_repo.set_ref(conn, item.id, FILE_ID, file_id)
                        item.refs[FILE_ID] = file_id
        except Exception:
            log.exception("Telegram file ids of media %s not kept", [m.id for m in items])
        return [int(i) for i in done["message_ids"]]

    @staticmethod
    def _sent_media(messages: Sequence[Message]) -> dict[str, list[Any]]:
        """A media step's result: the messages and the file id Telegram gave each."""
        return {
            "message_ids": [m.message_id for m in messages],
            "file_ids": [
                m.photo[-1].file_id if m.photo else m.document.file_id if m.document else None
                for m in messages
            ],
        }

    @staticmethod
    def _input(item: Media) -> str | BufferedInputFile:
        if item.refs.get(FILE_ID):
            return str(item.refs[FILE_ID])
        if item.data is None:
            raise PermanentFailure(f"media {item.id} has neither data nor a Telegram file id")
        return BufferedInputFile(item.data, filename=item.filename)

    async def _call(
        self,
        delivery: Delivery,
        name: str,
        chat: int | str,
        call: Callable[[], Awaitable[Any]],
        cost: int = 1,
    ) -> Any:
        return await delivery.step(
            name, lambda: self._outcome(call(), chat), rates=self.rates(chat), cost=cost
        )

    async def _outcome(self, call: Awaitable[Any], chat: int | str) -> Any:
        """``outcome_of``; a group Telegram upgraded to a supergroup is followed, and the
        call, refused (nothing was sent), is made again there."""
        try:
            return await outcome_of(call, chat)
        except GroupUpgraded as moved:
            if self.moves is None:
                raise PermanentFailure(str(moved)) from None
            self.moves.follow(moved.old, moved.new)
            raise RetryLater(str(moved), 0) from None

    async def _send(self, chat: int | str, p: MessagePayload, delivery: Delivery) -> Delivered:
        items = await self._media(p.media)
        has_text = not p.doc.is_empty()
        # Only media take captions; the length is counted only when there are some.
        fits_caption = (
            bool(items) and has_text and visible_length(p.doc, utf16_len) <= CAPTION_LIMIT
        )
        sending = _Sending(chat, p, keyboard(p.buttons), fits_caption)
        photos = [m for m in items if m.kind == MediaKind.PHOTO]
        documents = [m for m in items if m.kind != MediaKind.PHOTO]
        for prefix, kind, group in (
            ("photos", MediaKind.PHOTO, photos),
            ("docs", MediaKind.DOCUMENT, documents),
        ):
            for start in range(0, len(group), 10):
                part = group[start : start + 10]
                await self._send_media(sending, f"{prefix}{start}", part, kind, delivery)
        if has_text and not sending.caption_used:
            await self._send_texts(sending, delivery)
        elif sending.markup is not None and not sending.caption_used:
            raise PermanentFailure("buttons need a text to go with")
        return sending.delivered()

    async def _send_media(
        self, sending: _Sending, name: str, group: list[Media], kind: MediaKind, delivery: Delivery
    ) -> None:
        """One photo or document alone, or up to ten as an album: one step."""
        caption, markup = sending.take_caption(len(group))
        chat, thread = sending.chat, sending.payload.thread_id
        call: Callable[[], Awaitable[dict[str, list[Any]]]]
        if len(group) == 1:
            call = partial(
                self._one_media, chat, group[0], kind, caption, markup, sending.reply(), thread
            )
        else:
            call = partial(self._album, chat, group, kind, caption, sending.reply(), thread)
        done = await self._call(delivery, name, chat, call, cost=len(group))
        sending.add_media(await self._remember(group, done), caption, markup)
        delivery.made(sending.delivered())  # kept if a later step fails

    async def _one_media(
        self,
        chat: int | str,
        media: Media,
        kind: MediaKind,
        caption: str | None,
        markup: InlineKeyboardMarkup | None,
        reply: ReplyParameters | None,
        thread: int | None,
    ) -> dict[str, list[Any]]:
        common: dict[str, Any] = {
            "chat_id": chat,
            "caption": caption,
            "parse_mode": "HTML" if caption else None,
            "reply_markup": markup,
            "reply_parameters": reply,
            "message_thread_id": thread,
        }
        if kind == MediaKind.PHOTO:
            msg = await self.bot.send_photo(photo=self._input(media), **common)
        else:
            msg = await self.bot.send_document(document=self._input(media), **common)
        return self._sent_media([msg])

    async def _album(
        self,
        chat: int | str,
        group: Sequence[Media],
        kind: MediaKind,
        caption: str | None,
        reply: ReplyParameters | None,
        thread: int | None,
    ) -> dict[str, list[Any]]:
        media: list[InputMediaPhoto | InputMediaDocument] = []
        for index, m in enumerate(group):
            cap = caption if index == 0 else None
            mode = "HTML" if cap else None
            if kind == MediaKind.PHOTO:
                media.append(InputMediaPhoto(media=self._input(m), caption=cap, parse_mode=mode))
            else:
                media.append(InputMediaDocument(media=self._input(m), caption=cap, parse_mode=mode))
        sent = await self.bot.send_media_group(
            chat_id=chat,
            media=media,  # type: ignore[arg-type]
            reply_parameters=reply,
            message_thread_id=thread,
        )
        return self._sent_media(sent)

    async def _send_texts(self, sending: _Sending, delivery: Delivery) -> None:
        """The text in as many messages as it takes; the buttons go under the last."""
        p, chat = sending.payload, sending.chat
        parts = chunks(p.doc)
        for index, html in enumerate(parts):
            markup = sending.markup if index == len(parts) - 1 else None
            call = partial(self._text, chat, html, p.preview, markup, sending.reply(), p.thread_id)
            sent = await self._call(delivery, f"text{index}", chat, call)
            sending.add_text(sent, shown_digest("text", html, markup, p.preview))
            delivery.made(sending.delivered())

    async def _text(
        self,
        chat: int | str,
        html: str,
        preview: bool,
        markup: InlineKeyboardMarkup | None,
        reply: ReplyParameters | None = None,
        thread: int | None = None,
    ) -> list[int]:
        msg = await self.bot.send_message(
            chat_id=chat,
            text=html,
            parse_mode="HTML",
            link_preview_options=PREVIEWS[preview],
            reply_markup=markup,
            reply_parameters=reply,
            message_thread_id=thread,
        )
        return [msg.message_id]

    async def _edit_post(
        self, chat: int | str, p: MessagePayload, before: Delivered, delivery: Delivery
    ) -> Delivered:
        """A post's new text in its caption and text messages; its media stay as they are."""
        caption = before.ids(Role.CAPTION)[:1]
        texts = before.ids(Role.TEXT)
        aimed = MessagePayload(
            doc=p.doc,
            message_ids=tuple(int(i) for i in caption + texts),
            caption=bool(caption),
            preview=p.preview,
        )

        def post(ids: Sequence[int], shown: dict[str, str]) -> Delivered:
            """The post as it shows now: its media, then the caption and text messages."""
            digests = {**before.shown(), **shown}
            messages = [
                RemoteMessage(m.id, m.role, digests.get(m.id, m.shown))
                for m in before.messages
                if m.role in (Role.MEDIA, Role.CAPTION)
            ]
            parts = ids[1:] if caption else ids
            messages += [RemoteMessage(str(i), Role.TEXT, digests.get(str(i))) for i in parts]
            return Delivered(tuple(messages), url=before.url, refs={"chat_id": chat})

        done = await self._edit(
            chat, aimed, delivery, lambda ids, shown: delivery.made(post(ids, shown))
        )
        return post([int(i) for i in done.ids()], done.shown())

    async def _edit(
        self,
        chat: int | str,
        p: MessagePayload,
        delivery: Delivery,
        report: Callable[[list[int], dict[str, str]], None] | None = None,
    ) -> Delivered:
        """Edit a message (or a post's messages) in place; extra parts are sent or deleted.

        After each step, ``report`` is told which messages it shows now and what the edited
        ones show (the rest of the old ones are still there): if a later step fails, the
        row's result says so, and a new try or a deletion finds every message.
        """

        def roles(ids: Sequence[int]) -> list[Role]:
            return [Role.CAPTION if p.caption and n == 0 else Role.TEXT for n in range(len(ids))]

        def shows(ids: list[int], shown: dict[str, str]) -> None:
            delivery.made(made(chat, ids, roles(ids), shown))

        report = report or shows
        markup = keyboard(p.buttons)
        old = list(p.message_ids)
        first_limit = CAPTION_LIMIT if p.caption else None
        parts = chunks(p.doc, first_limit) if not p.doc.is_empty() else [""]
        kept: list[int] = []
        shown: dict[str, str] = {}
        for index, html in enumerate(parts):
            last_markup = markup if index == len(parts) - 1 else None
            is_caption = p.caption and index == 0
            digest = shown_digest(
                "caption" if is_caption else "text",
                html,
                last_markup,
                False if is_caption else p.preview,
            )
            if index < len(old) and p.shown.get(str(old[index])) == digest:
                kept.append(old[index])  # it shows this already: an edit would change nothing
            elif index < len(old):
                call = partial(
                    self._edit_one, chat, old[index], html, is_caption, p.preview, last_markup
                )
                kept.extend(await self._call(delivery, f"edit{index}", chat, call))
            else:
                call = partial(self._text, chat, html, p.preview, last_markup)
                kept.extend(await self._call(delivery, f"extra{index}", chat, call))
            shown[str(kept[-1])] = digest
            report([*kept, *old[len(kept) :]], shown)
        for index, message_id in enumerate(old[len(parts) :]):
            await self._call(delivery, f"drop{index}", chat, self._deleter(chat, message_id))
            report([*kept, *old[len(parts) + index + 1 :]], shown)
        return made(chat, kept, roles(kept), shown)

    async def _edit_one(
        self,
        chat: int | str,
        message_id: int,
        html: str,
        is_caption: bool,
        preview: bool,
        markup: InlineKeyboardMarkup | None,
    ) -> list[int]:
        """One message's new text or caption; one that already shows it is left as it is."""
        try:
            if is_caption:
                await self.bot.edit_message_caption(
                    chat_id=chat,
                    message_id=message_id,
                    caption=html or None,
                    parse_mode="HTML" if html else None,
                    reply_markup=markup,
                )
            else:
                await self.bot.edit_message_text(
                    chat_id=chat,
                    message_id=message_id,
                    text=html,
                    parse_mode="HTML",
                    link_preview_options=PREVIEWS[preview],
                    reply_markup=markup,
                )
        except TelegramBadRequest as exc:
            if "message is not modified" not in exc.message:
                raise
        return [message_id]

    def _deleter(self, chat: int | str, message_id: int) -> Callable[[], Awaitable[list[int]]]:
        return lambda: self._delete_one(chat, message_id)

    async def _delete_one(self, chat: int | str, message_id: int) -> list[int]:
        try:
            await self.bot.delete_message(chat_id=chat, message_id=message_id)
        except TelegramBadRequest as exc:
            if "not found" not in exc.message:
                raise
        return [message_id]

    async def _delete(self, chat: int | str, p: MessagePayload, delivery: Delivery) -> Delivered:
        for index, message_id in enumerate(p.message_ids):
            await self._call(delivery, f"delete{index}", chat, self._deleter(chat, message_id))
        return Delivered(refs={"chat_id": chat, "deleted": list(p.message_ids)})
