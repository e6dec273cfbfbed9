"""Sending methods: sendMessage, sendPhoto, sendDocument, sendMediaGroup, copy, forward."""

from __future__ import annotations

import secrets
from typing import Any

from .content import (
    format_text,
    input_file,
    media_object,
    reply_markup,
    reply_target,
    thread_id,
    topic_root,
)
from .errors import bad_request, forbidden, retry_after
from .params import Params, type_field
from .registry import method
from .state import Chat, State, StoredMessage

SEND = ("chat_id", "message_thread_id", "disable_notification", "protect_content")
REPLY = ("reply_parameters", "reply_markup")


def admit(st: State, chat: Chat, *, items: int = 1, edit: bool = False) -> None:
    """Refuse sends to users who blocked the bot or chats without it; apply flood limits."""
    reachable(st, chat)
    if st.limits:
        wait = st.limiter.acquire(chat.id, chat.type == "private", items, edit)
        if wait:
            st.counters["rate_limited"] += 1
            raise retry_after(wait)


def reachable(st: State, chat: Chat) -> None:
    """403 if the user blocked the bot or the bot is no longer in the chat."""
    if chat.type == "private" and chat.id in st.blocked:
        raise forbidden("bot was blocked by the user")
    if chat.id in st.kicked:
        if chat.type == "channel":
            raise forbidden("bot is not a member of the channel chat")
        raise forbidden(f"bot was kicked from the {chat.type} chat")


def start_message(
    st: State, chat: Chat, p: Params, thread: int | None, reply: dict[str, Any] | None
) -> dict[str, Any]:
    data = st.new_message(chat, sender=None, thread_id=thread)
    reply = reply or topic_root(st, chat, thread)
    if reply is not None:
        data["reply_to_message"] = reply
    if p.boolean("protect_content"):
        data["has_protected_content"] = True
    return data


def set_formatted(data: dict[str, Any], key: str, text: str, entities: list[Any]) -> None:
    entities_key = "entities" if key == "text" else "caption_entities"
    data.pop(key, None)
    data.pop(entities_key, None)
    if text:
        data[key] = text
    if entities:
        data[entities_key] = entities


def _chat_given(p: Params) -> str:
    """A send's ``chat_id``, refused first when empty, as Telegram does before anything else."""
    chat_raw = p.string("chat_id")
    if not chat_raw:
        raise bad_request("chat_id is empty")
    return chat_raw


def _new_message(st: State, p: Params) -> dict[str, Any]:
    """A single message's common fields in the chat it goes to, once the limits admit it."""
    chat = st.chat(p.string("chat_id"))
    thread = thread_id(st, chat, p)
    reply = reply_target(st, chat, p)
    admit(st, chat)
    return start_message(st, chat, p, thread, reply)


def _keep(
    st: State, data: dict[str, Any], markup: dict[str, Any] | None, method: str, **raw: Any
) -> None:
    """Store a message the bot sent, with its keyboard and what it was sent as (the raw
    text or caption and the parse mode, kept apart from what Telegram shows)."""
    if markup:
        data["reply_markup"] = markup
    st.store(data, outgoing=True, method=method, **raw)


def formatted(st: State, p: Params, field: str) -> tuple[str, list[dict[str, Any]]]:
    """A request's ``text`` or ``caption`` as shown, from its parse mode or its entities."""
    caption = field == "caption"
    entities = p.parsed(
        "caption_entities" if caption else "entities",
        f"can't parse {'caption ' if caption else ''}entities JSON object",
    )
    return format_text(st, p.string(field), p.string("parse_mode"), entities, caption=caption)


def markup_of(p: Params, *, inline_only: bool = False) -> dict[str, Any] | None:
    value = p.parsed("reply_markup", "can't parse reply keyboard markup JSON object")
    return reply_markup(value, inline_only=inline_only)


@method("sendMessage", *SEND, *REPLY, "text", "parse_mode", "entities", "link_preview_options")
def send_message(st: State, p: Params) -> Any:
    _chat_given(p)
    text, parsed = formatted(st, p, "text")
    preview = p.parsed("link_preview_options", "can't parse link preview options JSON object")
    markup = markup_of(p)
    data = _new_message(st, p)
    set_formatted(data, "text", text, parsed)
    if isinstance(preview, dict) and preview:
        data["link_preview_options"] = preview
    mode = p.string("parse_mode")
    _keep(st, data, markup, "sendMessage", raw_text=p.string("text"), parse_mode=mode)
    return data


def _send_file(st: State, p: Params, field: str, name: str) -> Any:
    _chat_given(p)
    caption, parsed = formatted(st, p, "caption")
    markup = markup_of(p)
    record = input_file(st, p.file(field), field)
    if record is None:
        raise bad_request(f"there is no {field} in the request")
    data = _new_message(st, p)
    key, value = media_object(st, record)
    data[key] = value
    set_formatted(data, "caption", caption, parsed)
    if field == "photo" and p.boolean("has_spoiler"):
        data["has_media_spoiler"] = True
    if field == "photo" and p.boolean("show_caption_above_media"):
        data["show_caption_above_media"] = True
    mode = p.string("parse_mode")
    _keep(st, data, markup, name, raw_caption=p.string("caption"), parse_mode=mode)
    return data


@method(
    "sendPhoto",
    *SEND,
    *REPLY,
    "photo",
    "caption",
    "parse_mode",
    "caption_entities",
    "has_spoiler",
    "show_caption_above_media",
)
def send_photo(st: State, p: Params) -> Any:
    return _send_file(st, p, "photo", "sendPhoto")


@method("sendDocument", *SEND, *REPLY, "document", "caption", "parse_mode", "caption_entities")
def send_document(st: State, p: Params) -> Any:
    return _send_file(st, p, "document", "sendDocument")


ALBUM_TYPES = {
    "photo": "InputMediaPhoto",
    "video": "InputMediaVideo",
    "audio": "InputMediaAudio",
    "document": "InputMediaDocument",
}


def _album_item(st: State, p: Params, item: Any) -> tuple[Any, ...]:
    prefix = "can't parse InputMedia: "
    if not isinstance(item, dict):
        raise bad_request(prefix + "object expected")
    kind = item.get("type")
    if kind in ("animation", "live_photo"):
        raise bad_request(prefix + f'type "{kind}" can\'t be used in sendMediaGroup')
    if kind not in ALBUM_TYPES:
        raise bad_request(prefix + f'type "{kind}" is unsupported')
    type_name = ALBUM_TYPES[kind]
    reference = type_field(item, type_name, "media")
    source = p.attachment(reference) if isinstance(reference, str) else None
    if source is None:
        raise bad_request(prefix + "media not found")
    caption, parsed = format_text(
        st,
        type_field(item, type_name, "caption"),
        type_field(item, type_name, "parse_mode"),
        type_field(item, type_name, "caption_entities"),
        caption=True,
    )
    return kind, source, caption, parsed, item


@method("sendMediaGroup", *SEND, "media", "reply_parameters")
def send_media_group(st: State, p: Params) -> Any:
    chat_raw = _chat_given(p)
    media = p.parsed("media", "can't parse media JSON object")
    if media is None:
        raise bad_request('parameter "media" is required')
    if not isinstance(media, list) or not media:
        raise bad_request("there are no messages to send")
    if len(media) > 10:
        raise bad_request("too many messages to send as an album")
    if len(media) < 2:
        raise bad_request("media group must include 2-10 items")
    items = [_album_item(st, p, item) for item in media]
    kinds = {item[0] for item in items}
    for alone in ("document", "audio"):
        if alone in kinds and len(kinds) > 1:
            raise bad_request(f"{alone} can't be mixed with other media types")
    chat = st.chat(chat_raw)
    thread = thread_id(st, chat, p)
    reply = reply_target(st, chat, p)
    records = [input_file(st, source, kind) for kind, source, *_ in items]
    admit(st, chat, items=len(items))
    group_id = str(10**17 + secrets.randbelow(9 * 10**17))
    result = []
    for (kind, _, caption, parsed, item), record in zip(items, records, strict=True):
        assert record is not None
        data = start_message(st, chat, p, thread, reply)
        data["media_group_id"] = group_id
        key, value = media_object(st, record)
        data[key] = value
        set_formatted(data, "caption", caption, parsed)
        if type_field(item, ALBUM_TYPES[kind], "caption") is not None:
            raw_caption = str(type_field(item, ALBUM_TYPES[kind], "caption"))
        else:
            raw_caption = None
        st.store(
            data,
            outgoing=True,
            method="sendMediaGroup",
            raw_caption=raw_caption,
            parse_mode=type_field(item, ALBUM_TYPES[kind], "parse_mode"),
        )
        result.append(data)
    return result


def _source(st: State, p: Params, what: str) -> StoredMessage:
    from_chat = st.chat(p.string("from_chat_id"))
    stored = st.message(from_chat.id, p.integer("message_id"))
    if stored is None or "forum_topic_created" in stored.data:
        raise bad_request(f"message to {what} not found")
    return stored


CONTENT_KEYS = (
    *("text", "entities", "link_preview_options", "caption", "caption_entities"),
    *("photo", "document", "video", "audio", "voice", "sticker", "video_note"),
)


@method(
    "copyMessage",
    *SEND,
    *REPLY,
    "from_chat_id",
    "message_id",
    "caption",
    "parse_mode",
    "caption_entities",
)
def copy_message(st: State, p: Params) -> Any:
    _chat_given(p)
    source = _source(st, p, "copy")
    markup = markup_of(p)
    caption_given = p.has("caption")
    if caption_given:
        caption, parsed = formatted(st, p, "caption")
    data = _new_message(st, p)
    for key in CONTENT_KEYS:
        if key in source.data:
            data[key] = source.data[key]
    if caption_given and "text" not in data:
        set_formatted(data, "caption", caption, parsed)
    _keep(
        st,
        data,
        markup,
        "copyMessage",
        raw_text=source.raw_text,
        raw_caption=p.string("caption") if caption_given else source.raw_caption,
        parse_mode=p.string("parse_mode") if caption_given else source.parse_mode,
    )
    return {"message_id": data["message_id"]}


def _origin(st: State, source: StoredMessage) -> dict[str, Any]:
    data = source.data
    if "forward_origin" in data:
        return dict(data["forward_origin"])
    if data["chat"]["type"] == "channel":
        return {
            "type": "channel",
            "date": data["date"],
            "chat": data["chat"],
            "message_id": data["message_id"],
        }
    if "sender_chat" in data:
        return {"type": "chat", "date": data["date"], "sender_chat": data["sender_chat"]}
    return {"type": "user", "date": data["date"], "sender_user": data["from"]}


@method("forwardMessage", *SEND, "from_chat_id", "message_id")
def forward_message(st: State, p: Params) -> Any:
    _chat_given(p)
    source = _source(st, p, "forward")
    chat = st.chat(p.string("chat_id"))
    thread = thread_id(st, chat, p)
    admit(st, chat)
    data = start_message(st, chat, p, thread, None)
    data["forward_origin"] = _origin(st, source)
    for key in CONTENT_KEYS:
        if key in source.data:
            data[key] = source.data[key]
    st.store(data, outgoing=True, method="forwardMessage", raw_text=source.raw_text)
    return data
