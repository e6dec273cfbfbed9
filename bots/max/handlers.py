"""MAX updates to neutral calls into ``shared/``: the hotline conversation and alerts.

``bot_started`` is a citizen pressing Start (a deep link's ``payload`` with it),
``message_created`` a citizen's message in the dialog with the bot, ``message_callback`` a
tap on one of our inline callback buttons, acknowledged through ``POST /answers`` (its
notification says so when the button is no longer the citizen's). Domain errors become
Russian text here, in one place.
"""

from __future__ import annotations

import logging
import mimetypes
from pathlib import PurePath
from typing import Any

from maxapi import Bot

from bots.max import NAME
from bots.max.client import MaxHttp
from bots.max.render import TEXT_LIMIT
from shared import callbacks
from shared.alerts import feature as alerts
from shared.domain import MediaKind
from shared.errors import GlashataiError
from shared.hotlines import conversation
from shared.hotlines.model import Attachment, Incoming, may_continue
from shared.replies import send_text
from shared.services import Services

log = logging.getLogger(__name__)

PHOTO_BYTES = 20 * 1024 * 1024
FILE_BYTES = 20 * 1024 * 1024  # a document kept with a question, as on the other platforms
# A ``share`` (a link's preview) is not among them: its address is in the text already.
UNSUPPORTED = {"video", "audio", "sticker", "contact", "location"}


def _name(user: dict[str, Any]) -> str | None:
    first, last = user.get("first_name") or "", user.get("last_name") or ""
    return f"{first} {last}".strip() or None


async def _attachments(
    http: MaxHttp, attachments: list[dict[str, Any]]
) -> tuple[tuple[Attachment, ...], tuple[str, ...]]:
    """The photos and documents (``file``) of a message, in its order; and the names of
    those that can't be downloaded, or are too big (left out)."""
    out: list[Attachment] = []
    missed: list[str] = []
    for index, item in enumerate(attachments):
        payload = item.get("payload") or {}
        kind = str(item.get("type"))
        if kind not in ("image", "file"):
            continue
        too_big = kind == "file" and int(item.get("size") or 0) > FILE_BYTES
        url = str(payload.get("url") or "")
        data = await _download(http, url, kind) if url and not too_big else None
        if data is None:
            missed.append(str(item.get("filename") or "файл") if kind == "file" else "фото")
        elif kind == "image":
            out.append(_photo(payload, data, index))
        else:
            out.append(_file(item, payload, data))
    return tuple(out), tuple(missed)


async def _download(http: MaxHttp, url: str, kind: str) -> bytes | None:
    limit = PHOTO_BYTES if kind == "image" else FILE_BYTES
    try:
        return await http.download(url, limit)
    except Exception as exc:
        log.warning("MAX: a %s could not be downloaded: %s", kind, type(exc).__name__)
        return None


def _photo(payload: dict[str, Any], data: bytes, index: int) -> Attachment:
    ref = str(payload.get("photo_id") or index)
    png = data.startswith(b"\x89PNG")
    return Attachment(
        kind=MediaKind.PHOTO,
        filename=f"max-photo-{ref}.{'png' if png else 'jpg'}",
        mime="image/png" if png else "image/jpeg",
        data=data,
        refs={"max_token": str(payload.get("token") or "")},
    )


def _file(item: dict[str, Any], payload: dict[str, Any], data: bytes) -> Attachment:
    name = PurePath(str(item.get("filename") or "")).name or "file.bin"
    return Attachment(
        kind=MediaKind.DOCUMENT,
        filename=name,
        mime=mimetypes.guess_type(name)[0] or "application/octet-stream",
        data=data,
        refs={"max_token": str(payload.get("token") or "")},
    )


async def handle_update(
    services: Services, update: dict[str, Any], http: MaxHttp, bot: Bot
) -> None:
    user_id: int | None = None
    try:
        kind = update.get("update_type")
        if kind == "bot_started":
            user = update["user"]
            user_id = int(user["user_id"])
            await _started(services, user, update.get("payload"))
        elif kind == "message_created":
            message = update["message"]
            if (message.get("recipient") or {}).get("chat_type") != "dialog":
                return  # a channel or a group chat: not a citizen's private conversation
            user = message["sender"]
            if user.get("is_bot"):
                return
            user_id = int(user["user_id"])
            await _message(services, http, user, message.get("body") or {})
        elif kind == "message_callback":
            callback = update["callback"]
            user_id = int(callback["user"]["user_id"])
            await _press(services, bot, callback)
    except GlashataiError as error:
        log.info("MAX: domain error shown to %s: %s", user_id, type(error).__name__)
        if user_id is not None:
            await send_text(services, NAME, user_id, services.texts.explain(error))


async def _started(services: Services, user: dict[str, Any], payload: Any) -> None:
    """Start pressed; through a ``https://max.ru/<bot>?start=<payload>`` link, its payload
    (a hotline's deep link) goes to the conversation as it came."""
    incoming = Incoming(
        platform=NAME,
        user_id=str(user["user_id"]),
        peer=str(user["user_id"]),
        start=True,
        known_name=_name(user),
        start_payload=str(payload) if payload else None,
    )
    await conversation(services).message(incoming)


def _shared_link(attachments: list[dict[str, Any]]) -> str:
    """A link sent with no text of its own: its address is the message."""
    for item in attachments:
        if item.get("type") == "share":
            return str((item.get("payload") or {}).get("url") or "")
    return ""


async def _message(
    services: Services, http: MaxHttp, user: dict[str, Any], body: dict[str, Any]
) -> None:
    attachments = [a for a in body.get("attachments") or [] if a.get("type") != "inline_keyboard"]
    kinds = {a.get("type") for a in attachments}
    subscriptions = alerts(services).subscriptions
    typed = str(body.get("text") or "")
    wants = subscriptions.wants_menu(typed) and not attachments
    if wants and await subscriptions.menu(NAME, str(user["user_id"])):
        return  # the alerts menu (without consent, the conversation below asks for it)
    out = subscriptions.wants_out(typed) and not attachments
    if out and await subscriptions.unsubscribe_all(NAME, str(user["user_id"])):
        return
    taken, left_out = await _attachments(http, attachments)
    text = str(body.get("text") or "") or _shared_link(attachments)
    # Something came and nothing of it could be taken (a video, or a file too big): the
    # citizen is asked for text, not greeted as if they had sent nothing.
    refused = bool(kinds & UNSUPPORTED) or (bool(attachments) and not text)
    incoming = Incoming(
        platform=NAME,
        user_id=str(user["user_id"]),
        peer=str(user["user_id"]),
        text=text,
        attachments=taken,
        unsupported=refused and not taken,
        left_out=left_out,
        known_name=_name(user),
        message_id=str(body.get("mid") or "") or None,  # MAX's id of the message
        may_continue=not taken and may_continue(text, TEXT_LIMIT),
    )
    await conversation(services).message(incoming)


async def _press(services: Services, bot: Bot, callback: dict[str, Any]) -> None:
    user = callback["user"]
    async with services.db.read() as conn:
        token = await callbacks.resolve(conn, str(callback.get("payload") or ""))
    name = _name(user)

    async def lookup() -> str | None:
        return name

    stale = False
    try:
        if not await alerts(services).subscriptions.press(NAME, str(user["user_id"]), token):
            stale = not await conversation(services).press(
                NAME, str(user["user_id"]), token, lookup
            )
    finally:
        # A button that is not the citizen's (any more: their data deleted) says so.
        notice = "citizen.stale_button" if stale else "citizen.pressed"
        try:
            await bot.send_callback(
                str(callback["callback_id"]), notification=services.texts(notice)
            )
        except Exception as exc:
            log.warning("MAX: could not acknowledge a button press: %s", type(exc).__name__)
