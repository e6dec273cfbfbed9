"""Editing and deleting messages."""

from __future__ import annotations

import time
from typing import Any

from .errors import bad_request
from .params import Params
from .registry import method
from .sending import admit, formatted, markup_of, set_formatted
from .state import Chat, State, StoredMessage

# The fields every edit takes: which message (by chat or inline id) and its new keyboard.
EDIT = ("chat_id", "message_id", "inline_message_id", "reply_markup")
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


def _named(st: State, p: Params, action: str) -> tuple[Chat, StoredMessage]:
    """The message a request names by ``chat_id`` and ``message_id`` (``action``: for the
    400 that says it is not there)."""
    chat = st.chat(p.string("chat_id"))
    message_id = p.integer("message_id")
    if message_id is None:
        raise bad_request("message identifier is not specified")
    stored = st.message(chat.id, message_id)
    if stored is None:
        raise bad_request(f"message to {action} not found")
    return chat, stored


def _editable(st: State, p: Params) -> tuple[Chat, StoredMessage]:
    if p.string("inline_message_id"):
        raise bad_request("MESSAGE_ID_INVALID")
    chat, stored = _named(st, p, "edit")
    if not stored.outgoing:
        raise bad_request("message can't be edited")
    return chat, stored


@method("editMessageText", *EDIT, "text", "parse_mode", "entities", "link_preview_options")
def edit_message_text(st: State, p: Params) -> Any:
    text = formatted(st, p, "text")
    markup = markup_of(p, inline_only=True)
    chat, stored = _editable(st, p)
    if "text" not in stored.data:
        raise bad_request("there is no text in the message to edit")
    preview = p.parsed("link_preview_options", "can't parse link preview options JSON object")
    shown = {"link_preview_options": preview} if isinstance(preview, dict) and preview else {}
    _replace(st, chat, stored, "text", text, markup, shown)
    stored.raw_text, stored.parse_mode = p.string("text"), p.string("parse_mode")
    return _stamp(stored)


def _replace(
    st: State,
    chat: Chat,
    stored: StoredMessage,
    field: str,
    text: tuple[str, list[dict[str, Any]]],
    markup: dict[str, Any] | None,
    extra: dict[str, Any],
) -> None:
    """Put an edit's text or caption (``field``) and keyboard in place of the old ones.

    An edit that changes nothing is refused, as Telegram does, and counts for no limit.
    """
    before = {k: v for k, v in stored.data.items() if k != "edit_date"}
    new = dict(before)
    set_formatted(new, field, *text)
    new.pop("reply_markup", None)
    if markup:
        new["reply_markup"] = markup
    new.update(extra)
    if new == before:
        raise bad_request(NOT_MODIFIED)
    admit(st, chat, edit=True)
    stored.data = new


def _stamp(stored: StoredMessage) -> dict[str, Any]:
    stored.data["edit_date"] = int(time.time())
    stored.edits += 1
    return stored.data


@method("editMessageCaption", *EDIT, "caption", "parse_mode", "caption_entities")
def edit_message_caption(st: State, p: Params) -> Any:
    caption = formatted(st, p, "caption")
    markup = markup_of(p, inline_only=True)
    chat, stored = _editable(st, p)
    if "text" in stored.data or not any(
        key in stored.data for key in ("photo", "document", "video", "audio", "voice")
    ):
        raise bad_request("there is no caption in the message to edit")
    _replace(st, chat, stored, "caption", caption, markup, {})
    stored.raw_caption, stored.parse_mode = p.string("caption"), p.string("parse_mode")
    return _stamp(stored)


@method("editMessageReplyMarkup", *EDIT)
def edit_message_reply_markup(st: State, p: Params) -> Any:
    markup = markup_of(p, inline_only=True)
    chat, stored = _editable(st, p)
    if markup == stored.data.get("reply_markup") or (
        not markup and "reply_markup" not in stored.data
    ):
        raise bad_request(NOT_MODIFIED)
    admit(st, chat, edit=True)
    new = {k: v for k, v in stored.data.items() if k != "reply_markup"}
    if markup:
        new["reply_markup"] = markup
    stored.data = new
    return _stamp(stored)


@method("deleteMessage", "chat_id", "message_id")
def delete_message(st: State, p: Params) -> Any:
    chat, stored = _named(st, p, "delete")
    if "forum_topic_created" in stored.data:
        raise bad_request("message can't be deleted")
    others = chat.type in ("group", "supergroup") and not stored.outgoing
    if others and st.bot_id not in chat.admins and st.bot_id != chat.owner:
        raise bad_request("message can't be deleted")  # needs admin rights: set_admins()
    stored.deleted = True
    return True
