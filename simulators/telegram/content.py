"""Validation of message content: formatted text, keyboards, replies, threads, files.

Parse modes: ``HTML`` is implemented (see ``html.py``); ``MarkdownV2``/``Markdown``
are refused with 400 ``can't parse entities: ... not supported by the fake``;
explicit ``entities`` take precedence over ``parse_mode`` as in the Bot API.
"""

from __future__ import annotations

from typing import Any

from .errors import ApiError, EntityTooLarge, bad_request
from .html import EntityParseError, parse_html, trim, utf16_len
from .links import checked_link
from .media import PHOTO_MAX_BYTES, UPLOAD_MAX_BYTES, FileRecord, Upload, guess_mime, image_size
from .params import BUTTON_ACTIONS, TYPE_FIELDS, Params, type_field
from .state import Chat, State

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
ENTITY_TYPES = frozenset(
    {
        "mention",
        "hashtag",
        "cashtag",
        "bot_command",
        "url",
        "email",
        "phone_number",
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "blockquote",
        "expandable_blockquote",
        "code",
        "pre",
        "text_link",
        "text_mention",
        "custom_emoji",
        "date_time",
    }
)
MAX_BUTTONS = 100


def format_text(
    st: State,
    raw: str | None,
    parse_mode: str | None,
    entities: Any,
    *,
    caption: bool,
) -> tuple[str, list[dict[str, Any]]]:
    """Visible text and entities of a text or caption; raises Telegram's 400s."""
    raw = raw or ""
    mode = (parse_mode or "").strip().lower()
    if entities is not None and raw:
        text, parsed = raw, _explicit_entities(entities, raw)
    elif mode == "html" and raw:
        try:
            text, parsed = parse_html(raw, strict_amp=st.strict_amp, users=st.users)
        except EntityParseError as error:
            raise bad_request(f"can't parse entities: {error}") from None
    elif mode in ("markdown", "markdownv2") and raw:
        raise bad_request(
            f"can't parse entities: parse_mode {parse_mode} is not supported by the fake "
            "Telegram server, use HTML"
        )
    elif mode in ("", "html", "markdown", "markdownv2"):
        text, parsed = raw, []
    else:
        raise bad_request("unsupported parse_mode")
    text, parsed = trim(text, parsed)
    if not caption and not text:
        raise bad_request("message text is empty")
    if utf16_len(text) > (CAPTION_LIMIT if caption else TEXT_LIMIT):
        raise bad_request("message caption is too long" if caption else "message is too long")
    return text, parsed


def _explicit_entities(entities: Any, text: str) -> list[dict[str, Any]]:
    if not isinstance(entities, list):
        raise bad_request("can't parse entities JSON object")
    size = utf16_len(text)
    result = []
    for item in entities:
        if not isinstance(item, dict):
            raise bad_request("can't parse MessageEntity: object expected")
        kind = type_field(item, "MessageEntity", "type")
        offset = type_field(item, "MessageEntity", "offset")
        length = type_field(item, "MessageEntity", "length")
        if kind not in ENTITY_TYPES:
            raise bad_request("can't parse MessageEntity: Unsupported type specified")
        if not isinstance(offset, int) or not isinstance(length, int):
            raise bad_request('can\'t parse MessageEntity: Field "offset" must be of type Integer')
        if offset < 0 or length <= 0 or offset + length > size:
            continue
        entity: dict[str, Any] = {"type": kind, "offset": offset, "length": length}
        for extra in ("url", "user", "language", "custom_emoji_id"):
            value = type_field(item, "MessageEntity", extra)
            if value is not None:
                entity[extra] = value
        if kind == "text_link":
            link = checked_link(str(entity.get("url", "")))
            if link is None:
                raise bad_request("can't parse MessageEntity: wrong url specified")
            entity["url"] = link
        result.append(entity)
    result.sort(key=lambda e: (e["offset"], -e["length"]))
    return result


# --- keyboards ---------------------------------------------------------------


def reply_markup(value: Any, *, inline_only: bool) -> dict[str, Any] | None:
    """Validate ``reply_markup``; return the inline keyboard to echo in Message, if any."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    keyboard = type_field(value, "InlineKeyboardMarkup", "inline_keyboard")
    if keyboard is not None:
        return {"inline_keyboard": _inline_keyboard(keyboard)}
    if inline_only:
        raise bad_request("inline keyboard expected")
    if type_field(value, "ReplyKeyboardMarkup", "keyboard") is not None:
        _reply_keyboard(type_field(value, "ReplyKeyboardMarkup", "keyboard"))
        return None
    if type_field(value, "ReplyKeyboardRemove", "remove_keyboard") is not None:
        return None
    if type_field(value, "ForceReply", "force_reply") is not None:
        return None
    raise bad_request("can't parse reply keyboard markup JSON object")


def _inline_keyboard(rows: Any) -> list[list[dict[str, Any]]]:
    array_error = 'field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays'
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(array_error)
    if sum(len(row) for row in rows) > MAX_BUTTONS:
        raise bad_request("REPLY_MARKUP_TOO_LONG")
    return [[_inline_button(button) for button in row] for row in rows]


def _inline_button(button: Any) -> dict[str, Any]:
    prefix = "can't parse inline keyboard button: "
    if not isinstance(button, dict):
        raise bad_request(prefix + "InlineKeyboardButton must be an Object")
    text = type_field(button, "InlineKeyboardButton", "text")
    if not isinstance(text, str):
        raise bad_request(prefix + 'Field "text" must be of type String')
    if not text.strip():
        raise bad_request("BUTTON_TEXT_INVALID")
    actions = [
        name
        for name in BUTTON_ACTIONS
        if type_field(button, "InlineKeyboardButton", name) not in (None, False)
    ]
    if not actions:
        raise bad_request(prefix + "Text buttons are unallowed in the inline keyboard")
    if len(actions) > 1:
        raise bad_request(prefix + "exactly one of the optional fields must be used")
    action = actions[0]
    value = type_field(button, "InlineKeyboardButton", action)
    if action == "callback_data" and (
        not isinstance(value, str) or not 1 <= len(value.encode("utf-8")) <= 64
    ):
        raise bad_request("BUTTON_DATA_INVALID")
    if action == "url" and (not isinstance(value, str) or checked_link(value) is None):
        raise bad_request("BUTTON_URL_INVALID")
    fields = TYPE_FIELDS["InlineKeyboardButton"]
    return {key: button[key] for key in button if key in fields}


def _reply_keyboard(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(
            'field "keyboard" of the ReplyKeyboardMarkup should be an Array of Arrays'
        )
    for row in rows:
        for button in row:
            text = (
                button if isinstance(button, str) else type_field(button, "KeyboardButton", "text")
            )
            if not isinstance(text, str) or not text:
                raise bad_request(
                    'can\'t parse keyboard button: Field "text" must be of type String'
                )


# --- replies and threads -----------------------------------------------------


def reply_target(st: State, chat: Chat, p: Params) -> dict[str, Any] | None:
    """Snapshot of the message replied to via ``reply_parameters``, if any."""
    params = p.parsed("reply_parameters", "can't parse reply parameters JSON object")
    if params is None:
        return None
    if not isinstance(params, dict):
        raise bad_request("can't parse reply parameters JSON object")
    message_id = type_field(params, "ReplyParameters", "message_id")
    target_chat = chat
    other = type_field(params, "ReplyParameters", "chat_id")
    if other is not None:
        target_chat = st.chat(other)
    stored = st.message(target_chat.id, message_id if isinstance(message_id, int) else None)
    if stored is None:
        if type_field(params, "ReplyParameters", "allow_sending_without_reply"):
            return None
        raise bad_request("message to be replied not found")
    return stored.snapshot()


def thread_id(st: State, chat: Chat, p: Params) -> int | None:
    """Validate ``message_thread_id`` against the chat's topics or reply threads."""
    value = p.integer("message_thread_id")
    if value is None:
        return None
    if chat.is_forum and value in chat.topics:
        return value
    if chat.is_forum and value == 1:
        return None  # the General topic
    if not chat.is_forum and chat.type == "supergroup" and st.message(chat.id, value):
        return value
    raise bad_request("message thread not found")


def topic_root(st: State, chat: Chat, thread: int | None) -> dict[str, Any] | None:
    """In a forum topic, Telegram presents a non-reply message as a reply to the topic root."""
    if thread is None or not chat.is_forum:
        return None
    root = st.message(chat.id, thread)
    return root.snapshot() if root is not None else None


# --- files -------------------------------------------------------------------


def input_file(st: State, source: Upload | str | None, kind: str) -> FileRecord | None:
    """Resolve an InputFile/file_id/URL for ``kind``; ``None`` when nothing was sent."""
    if source is None:
        return None
    if isinstance(source, Upload):
        return _uploaded(st, source, kind)
    if source.lower().startswith(("http://", "https://")):
        if checked_link(source) is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        return st.new_file(kind, None, width=1280, height=960, url=source, mime_type=None)
    record = st.files.get(source)
    if record is None:
        raise bad_request("wrong file identifier/HTTP URL specified")
    if record.kind != kind:
        raise bad_request(
            f"can't use file of type {record.kind.capitalize()} as {kind.capitalize()}"
        )
    return record


def _uploaded(st: State, upload: Upload, kind: str) -> FileRecord:
    if not upload.data:
        raise bad_request("file must be non-empty")
    if kind == "photo":
        if len(upload.data) > PHOTO_MAX_BYTES:
            raise ApiError(413, "Request Entity Too Large")
        size = image_size(upload.data)
        if size is None:
            raise bad_request("IMAGE_PROCESS_FAILED")
        width, height = size
        if width + height > 10000 or max(width, height) > 20 * max(1, min(width, height)):
            raise bad_request("PHOTO_INVALID_DIMENSIONS")
        return st.new_file("photo", upload.data, width=width, height=height)
    if len(upload.data) > UPLOAD_MAX_BYTES:
        raise EntityTooLarge()
    mime = guess_mime(upload.filename, upload.content_type or "application/octet-stream")
    return st.new_file(kind, upload.data, file_name=upload.filename, mime_type=mime)


def media_object(st: State, record: FileRecord) -> tuple[str, Any]:
    """The Message field and value for a file (``photo`` becomes a PhotoSize list)."""
    if record.kind == "photo":
        sizes = st.photo_from(record.file_id)
        if sizes is None:
            sizes = st.photo_sizes(record.data, record.width, record.height, record.url)
        return "photo", sizes
    obj = record.base()
    if record.kind == "document":
        if record.file_name:
            obj["file_name"] = record.file_name
        if record.mime_type:
            obj["mime_type"] = record.mime_type
    elif record.kind == "video":
        obj.update(width=640, height=360, duration=1, mime_type=record.mime_type or "video/mp4")
    elif record.kind == "audio":
        obj.update(duration=1, mime_type=record.mime_type or "audio/mpeg")
        if record.file_name:
            obj["file_name"] = record.file_name
    return record.kind, obj
