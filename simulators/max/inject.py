"""What citizens do, for tests: start the bot, write, tap a button (lock held)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from simulators.vk.media import sniff_image

from .errors import bad_request
from .messages import UPLOADED_KINDS, message_api
from .state import ChatType, Message, PendingCallback, State, Upload, User, now_ms
from .updates import push


def ensure_user(state: State, user_id: int, first_name: str, last_name: str | None) -> User:
    """The user, registered on first sight."""
    user = state.users.get(user_id)
    if user is None:
        user = User(user_id, first_name, last_name)
        state.users[user_id] = user
    return user


def bot_started(state: State, user: User, payload: str | None) -> dict[str, Any]:
    """The user pressed "Start" (possibly through a deep link carrying ``payload``)."""
    chat = state.dialog_of(user.user_id)
    state.blocked.discard(user.user_id)
    fields = {"chat_id": chat.chat_id, "user": user.as_api(), "user_locale": "ru-RU"}
    if payload is not None:
        fields["payload"] = payload
    return push(state, "bot_started", fields)


def store_file(state: State, data: bytes, filename: str | None, kind: str) -> Upload:
    """Keep bytes a user sent, as if uploaded and processed."""
    upload = Upload(secrets.token_hex(8), kind, secrets.token_urlsafe(24), data, filename)
    if kind == "image":
        upload.photo_id = state.next_photo_id
        state.next_photo_id += 1
    state.uploads[upload.slot] = upload
    return upload


def _attachment(state: State, item: Any) -> dict[str, Any]:
    if isinstance(item, dict):
        return dict(item)
    kind, data, *rest = item
    if kind == "image" and sniff_image(data) is None:
        raise bad_request("an injected image must be an image")
    if kind not in UPLOADED_KINDS:
        raise bad_request(f"an injected attachment's kind must be one of {UPLOADED_KINDS}")
    upload = store_file(state, data, rest[0] if rest else None, kind)
    url = state.url(f"/media/{upload.slot}")
    if kind == "image":
        payload = {"photo_id": upload.photo_id, "token": upload.token, "url": url}
        return {"type": "image", "payload": payload}
    if kind == "file":
        return {
            "type": "file",
            "payload": {"url": url, "token": upload.token},
            "filename": upload.filename or "file.bin",
            "size": len(data),
        }
    return {"type": kind, "payload": {"url": url, "token": upload.token}}  # video, audio


def user_message(
    state: State, user: User, text: str, attachments: Sequence[Any] | None
) -> dict[str, Any]:
    """The user writes to the bot; returns the ``message_created`` update."""
    chat = state.dialog_of(user.user_id)
    mid, seq = state.new_mid()
    message = Message(
        mid=mid,
        seq=seq,
        chat_id=chat.chat_id,
        chat_type=ChatType.DIALOG,
        sender_id=user.user_id,
        recipient_user_id=state.bot.user_id,
        raw_text=text,
        format=None,
        text=text,
        markup=[],
        attachments=[_attachment(state, item) for item in attachments or ()],
        link=None,
        timestamp=now_ms(),
    )
    state.messages[mid] = message
    return push(
        state, "message_created", {"message": message_api(state, message), "user_locale": "ru-RU"}
    )


def callback(state: State, user: User, payload: str | None, mid: str | None) -> dict[str, Any]:
    """The user tapped a callback button of message ``mid``; returns the update."""
    callback_id = secrets.token_urlsafe(16)
    state.callbacks[callback_id] = PendingCallback(callback_id, user.user_id, mid, payload)
    message = state.messages.get(mid) if mid else None
    fields: dict[str, Any] = {
        "callback": {
            "timestamp": now_ms(),
            "callback_id": callback_id,
            "payload": payload,
            "user": user.as_api(),
        },
        "message": message_api(state, message) if message else None,
        "user_locale": "ru-RU",
    }
    return push(state, "message_callback", fields)


def find_button(state: State, user_id: int, text: str) -> tuple[str, dict[str, Any]]:
    """The newest bot message to ``user_id`` with an inline button labelled ``text``."""
    mine = [
        m
        for m in state.messages.values()
        if m.recipient_user_id == user_id and m.sender_id == state.bot.user_id and not m.deleted
    ]
    for message in sorted(mine, key=lambda m: m.seq, reverse=True):
        for attachment in message.attachments:
            if attachment["type"] != "inline_keyboard":
                continue
            for row in attachment["payload"]["buttons"]:
                for button in row:
                    if button.get("text") == text:
                        return message.mid, button
    raise LookupError(f"no inline button {text!r} in messages to {user_id}")
