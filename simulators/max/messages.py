"""Messages: building them from a ``NewMessageBody``, and their API shape (lock held)."""

from __future__ import annotations

from typing import Any

from .errors import Code, MaxError, bad_request, dialog_suspended, not_found
from .state import Chat, ChatType, Message, State, Upload, now_ms
from .text import visible

UPLOADED_KINDS = ("image", "video", "audio", "file")


def message_api(state: State, message: Message) -> dict[str, Any]:
    """The schema's ``Message``."""
    sender = state.bot if message.sender_id == state.bot.user_id else state.users[message.sender_id]
    return {
        "sender": sender.as_api(),
        "recipient": {
            "chat_id": message.chat_id,
            "chat_type": str(message.chat_type),
            "user_id": message.recipient_user_id,
        },
        "timestamp": message.timestamp,
        "link": message.link,
        "body": {
            "mid": message.mid,
            "seq": message.seq,
            "text": message.text,
            "attachments": [dict(a) for a in message.attachments],
            "markup": [dict(m) for m in message.markup],
        },
        "stat": {"views": 0} if message.chat_type == ChatType.CHANNEL else None,
        "url": None,
    }


def target_chat(state: State, chat_id: int | None, user_id: int | None) -> Chat:
    """The chat a send goes to; refuses blocked users and channels without the right."""
    if (chat_id is None) == (user_id is None):
        raise bad_request("exactly one of chat_id and user_id is required")
    if user_id is not None:
        if user_id not in state.users:
            raise not_found(f"User {user_id} not found")
        chat = state.dialog_of(user_id)
    else:
        assert chat_id is not None
        found = state.chats.get(chat_id)
        if found is None or found.removed:
            raise not_found(f"Chat {chat_id} not found")
        chat = found
    if chat.type == ChatType.DIALOG and chat.user_id in state.blocked:
        assert chat.user_id is not None
        raise dialog_suspended(chat.user_id)
    if chat.type != ChatType.DIALOG and "write" not in chat.bot_permissions:
        raise MaxError(403, Code.CHAT_DENIED, "You are not allowed to write to this chat")
    return chat


def _upload_for(state: State, token: Any) -> Upload:
    upload = next((u for u in state.uploads.values() if u.token == token), None)
    if upload is None:
        raise bad_request(f"attachment token {token!r} is unknown")
    return upload


def _uploads_in(state: State, attachments: list[dict[str, Any]]) -> list[Upload]:
    found = []
    for attachment in attachments:
        payload = attachment.get("payload") or {}
        if attachment["type"] not in UPLOADED_KINDS:
            continue
        tokens = [payload["token"]] if payload.get("token") else []
        tokens += [p["token"] for p in (payload.get("photos") or {}).values()]
        found += [_upload_for(state, token) for token in tokens]
    return found


def check_ready(state: State, attachments: list[dict[str, Any]]) -> None:
    """``attachment.not.ready`` while an uploaded file is "processing" (a few attempts)."""
    waiting = [u for u in _uploads_in(state, attachments) if u.data is None or u.not_ready_left]
    for upload in waiting:
        upload.not_ready_left = max(upload.not_ready_left - 1, 0)
    if waiting:
        state.bump("not_ready")
        raise MaxError(
            400, Code.ATTACHMENT_NOT_READY, "Key: errors.process.attachment.file.not.processed"
        )


def _uploaded_api(state: State, kind: str, upload: Upload) -> dict[str, Any]:
    url = state.url(f"/media/{upload.slot}")
    if kind == "image":
        return {
            "type": "image",
            "payload": {"photo_id": upload.photo_id, "token": upload.token, "url": url},
        }
    payload = {"url": url, "token": upload.token}
    if kind == "file":
        size = len(upload.data or b"")
        return {"type": "file", "payload": payload, "filename": upload.filename, "size": size}
    return {"type": kind, "payload": payload}


def stored_attachments(state: State, attachments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Request attachments as the message will show them."""
    out: list[dict[str, Any]] = []
    for attachment in attachments:
        kind = attachment["type"]
        payload = attachment.get("payload") or {}
        if kind in UPLOADED_KINDS and (payload.get("token") or payload.get("photos")):
            for upload in _uploads_in(state, [attachment]):
                out.append(_uploaded_api(state, kind, upload))
        elif kind == "image" and payload.get("url"):
            out.append(
                {"type": "image", "payload": {"photo_id": 0, "token": "", "url": payload["url"]}}
            )
        elif kind == "inline_keyboard":
            out.append({"type": "inline_keyboard", "payload": {"buttons": payload["buttons"]}})
        else:
            out.append({"type": kind, "payload": dict(payload)})
    return out


def checked_text(
    state: State, raw: str | None, text_format: str | None
) -> tuple[str, list[dict[str, Any]]]:
    """Visible text and markup; refuses more than ``text_limit`` visible characters."""
    text, markup = visible(raw, text_format)
    if len(text) > state.text_limit:
        state.bump("too_long")
        raise bad_request(f"text: size must be between 0 and {state.text_limit}, got {len(text)}")
    return text, markup


def create(state: State, chat: Chat, body: dict[str, Any]) -> Message:
    """A bot message from a ``NewMessageBody`` (checks done first, nothing kept on error)."""
    attachments = body.get("attachments") or []
    text, markup = checked_text(state, body.get("text"), body.get("format"))
    if not text and not attachments:
        raise bad_request("message is empty: text or attachments required")
    check_ready(state, attachments)
    stored = stored_attachments(state, attachments)
    link = body.get("link")
    if link is not None and link.get("mid") not in state.messages:
        raise not_found(f"Message {link.get('mid')} not found")
    mid, seq = state.new_mid()
    message = Message(
        mid=mid,
        seq=seq,
        chat_id=chat.chat_id,
        chat_type=chat.type,
        sender_id=state.bot.user_id,
        recipient_user_id=chat.user_id,
        raw_text=body.get("text"),
        format=body.get("format"),
        text=text,
        markup=markup,
        attachments=stored,
        link=_linked(state, link),
        timestamp=now_ms(),
    )
    state.messages[mid] = message
    return message


def _linked(state: State, link: dict[str, Any] | None) -> dict[str, Any] | None:
    if link is None:
        return None
    original = state.messages[link["mid"]]
    return {
        "type": link["type"],
        "chat_id": original.chat_id,
        "message": message_api(state, original)["body"],
    }


def own_message(state: State, mid: str) -> Message:
    """A live message the bot sent (404 unknown or deleted, 403 someone else's)."""
    message = state.messages.get(mid)
    if message is None or message.deleted:
        raise not_found(f"Message {mid} not found")
    if message.sender_id != state.bot.user_id:
        raise MaxError(403, Code.ACCESS_DENIED, "You can edit or delete only your own messages")
    return message


def edit(state: State, message: Message, body: dict[str, Any]) -> None:
    """Apply a ``NewMessageBody`` edit: ``attachments: []`` removes every attachment.

    A ``text``/``attachments`` that is absent or null keeps the old value.
    """
    raw = body.get("text")
    text_format = body.get("format", message.format)
    text, markup = (
        checked_text(state, raw, text_format) if raw is not None else (message.text, message.markup)
    )
    attachments = body.get("attachments")
    if attachments is not None:
        check_ready(state, attachments)
        stored = stored_attachments(state, attachments)
    else:
        stored = message.attachments
    if not text and not stored:
        raise bad_request("message is empty: text or attachments required")
    message.history.append(
        {"text": message.text, "format": message.format, "attachments": message.attachments}
    )
    message.edits += 1
    if raw is not None:
        message.raw_text, message.format = raw, text_format
    message.text, message.markup, message.attachments = text, markup, stored
