"""Updates coming from people: citizens' and moderators' messages, button presses."""

from __future__ import annotations

import copy
import re
import secrets
import time
from typing import Any

from .content import CAPTION_LIMIT, TEXT_LIMIT
from .html import utf16_len
from .media import guess_mime, image_size
from .state import Chat, State

COMMAND = re.compile(r"^/[A-Za-z0-9_]{1,64}(@[A-Za-z0-9_]{3,32})?")


def _chat_for(st: State, user_id: int, chat_id: int | None) -> Chat:
    if chat_id is None or chat_id == user_id:
        st.ensure_user(user_id)
        return st.chats[user_id]
    chat = st.chats.get(chat_id)
    if chat is None:
        raise ValueError(f"chat {chat_id} is not registered: add_chat() first")
    return chat


def _reply(st: State, chat: Chat, reply_to: int | None, thread: int | None) -> Any:
    if reply_to is not None:
        stored = st.message(chat.id, reply_to)
        if stored is None:
            raise ValueError(f"no message {reply_to} in chat {chat.id} to reply to")
        return stored.snapshot()
    if thread is not None and chat.is_forum:
        root = st.message(chat.id, thread)
        return root.snapshot() if root is not None else None
    return None


def _thread(chat: Chat, thread: int | None) -> int | None:
    if thread is None:
        return None
    if chat.is_forum and thread not in chat.topics:
        raise ValueError(f"chat {chat.id} has no topic {thread}: add_topic() first")
    return thread


def _attach_media(
    st: State,
    data: dict[str, Any],
    *,
    photo: bytes | None,
    document: tuple[str, bytes] | None,
    voice: bool,
    sticker: bool,
    video_note: bool,
) -> None:
    if photo is not None:
        width, height = image_size(photo) or (1280, 960)
        data["photo"] = st.photo_sizes(photo, width, height)
    if document is not None:
        name, content = document
        mime = guess_mime(name)
        record = st.new_file("document", content, file_name=name, mime_type=mime)
        data["document"] = {**record.base(), "file_name": name, "mime_type": mime}
    if voice:
        record = st.new_file("voice", b"OggS fake voice", mime_type="audio/ogg")
        data["voice"] = {**record.base(), "duration": 3, "mime_type": "audio/ogg"}
    if sticker:
        record = st.new_file("sticker", b"RIFF fake sticker", mime_type="image/webp")
        data["sticker"] = {
            **record.base(),
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "👍",
        }
    if video_note:
        record = st.new_file("video_note", b"fake video note", mime_type="video/mp4")
        data["video_note"] = {**record.base(), "length": 240, "duration": 2}


def _attach_shared(
    data: dict[str, Any],
    *,
    location: tuple[float, float] | None,
    contact: tuple[str, str] | None,
    dice: str | None,
) -> None:
    """Content with no file: a shared location, a contact card, a die thrown."""
    if location is not None:
        data["location"] = {"latitude": location[0], "longitude": location[1]}
    if contact is not None:
        data["contact"] = {"phone_number": contact[0], "first_name": contact[1]}
    if dice is not None:
        data["dice"] = {"emoji": dice, "value": 1}


def user_message(
    st: State,
    user_id: int,
    chat_id: int | None,
    *,
    text: str | None,
    entities: list[dict[str, Any]] | None,
    photo: bytes | None,
    document: tuple[str, bytes] | None,
    caption: str | None,
    reply_to_message_id: int | None,
    media_group_id: str | None,
    message_thread_id: int | None,
    voice: bool,
    sticker: bool,
    video_note: bool,
    forward_from_chat: int | None,
    location: tuple[float, float] | None = None,
    contact: tuple[str, str] | None = None,
    dice: str | None = None,
) -> dict[str, Any]:
    """Create a message from a person and queue its update."""
    user = st.ensure_user(user_id)
    chat = _chat_for(st, user_id, chat_id)
    if chat.type == "channel":
        raise ValueError("use channel_post() for channels")
    parts = (text, caption, photo, document, location, contact, dice)
    if all(part is None for part in parts) and not (voice or sticker or video_note):
        raise ValueError("a message needs text, a caption or media")
    if text is not None and (photo is not None or document is not None) and caption is None:
        text, caption = None, text  # media messages carry a caption, not text
    thread = _thread(chat, message_thread_id)
    reply = _reply(st, chat, reply_to_message_id, thread)
    chat.members.add(user_id)
    data = st.new_message(chat, sender=user, thread_id=thread)
    if reply is not None:
        data["reply_to_message"] = reply
    if forward_from_chat is not None:
        source = st.chats.get(forward_from_chat)
        if source is None:
            raise ValueError(f"chat {forward_from_chat} is not registered")
        data["forward_origin"] = {
            "type": "channel" if source.type == "channel" else "chat",
            "date": data["date"] - 60,
            **(
                {"chat": source.obj(), "message_id": 1}
                if source.type == "channel"
                else {"sender_chat": source.obj()}
            ),
        }
    if media_group_id is not None:
        data["media_group_id"] = media_group_id
    _attach_media(
        st,
        data,
        photo=photo,
        document=document,
        voice=voice,
        sticker=sticker,
        video_note=video_note,
    )
    _attach_shared(data, location=location, contact=contact, dice=dice)
    if text is not None:
        data["text"] = text
        found = entities if entities is not None else _command_entities(text)
        if found:
            data["entities"] = found
    if caption is not None:
        data["caption"] = caption
        if entities is not None and text is None:
            data["caption_entities"] = entities
    st.store(data, outgoing=False, raw_text=text, raw_caption=caption)
    return st.push_update("message", data)


def _command_entities(text: str) -> list[dict[str, Any]]:
    match = COMMAND.match(text)
    if match is None:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(match.group(0))}]


def channel_post(st: State, chat_id: int, text: str | None, photo: bytes | None) -> dict[str, Any]:
    """A post published in a channel by its admins (not by the bot)."""
    chat = st.chats.get(chat_id)
    if chat is None or chat.type != "channel":
        raise ValueError(f"{chat_id} is not a registered channel")
    data = st.new_message(chat, sender=None)
    if photo is not None:
        width, height = image_size(photo) or (1280, 960)
        data["photo"] = st.photo_sizes(photo, width, height)
        if text is not None:
            data["caption"] = text
    elif text is not None:
        data["text"] = text
    else:
        raise ValueError("a channel post needs text or a photo")
    st.store(data, outgoing=False, raw_text=text)
    return st.push_update("channel_post", data)


def callback(
    st: State, user_id: int, message_id: int, chat_id: int, data: str, check_button: bool
) -> dict[str, Any]:
    """A press of an inline button with ``data`` under the bot's message."""
    user = st.ensure_user(user_id)
    stored = st.message(chat_id, message_id)
    if stored is None:
        raise ValueError(f"no message {message_id} in chat {chat_id}")
    if check_button:
        rows = stored.data.get("reply_markup", {}).get("inline_keyboard", [])
        if not any(button.get("callback_data") == data for row in rows for button in row):
            raise ValueError(f"message {message_id} has no button with callback_data {data!r}")
    query_id = str(secrets.randbits(63))
    st.callbacks[query_id] = {"answered": False, "user_id": user_id, "data": data}
    query = {
        "id": query_id,
        "from": user,
        "message": stored.snapshot(),
        "chat_instance": str(abs(hash((chat_id, st.bot_id))) % 10**18),
        "data": data,
    }
    return st.push_update("callback_query", query)


def add_topic(st: State, chat_id: int, name: str, creator_id: int | None) -> int:
    """Create a forum topic; its thread id is the id of its service message."""
    chat = st.chats.get(chat_id)
    if chat is None or not chat.is_forum:
        raise ValueError(f"chat {chat_id} is not a registered forum")
    sender = st.ensure_user(creator_id) if creator_id is not None else dict(st.bot)
    data = st.new_message(chat, sender=sender)
    data["message_thread_id"] = data["message_id"]
    data["is_topic_message"] = True
    data["forum_topic_created"] = {"name": name, "icon_color": 7322096}
    chat.topics[data["message_id"]] = name
    st.store(data, outgoing=creator_id is None)
    return int(data["message_id"])


def upgrade_group(
    st: State, old_id: int, new_id: int, actor_id: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A basic group becomes a supergroup (an admin turned on topics, made it public…), as
    Telegram does it: a new chat with its own id and the same people, a service message
    in each (``migrate_to_chat_id`` in the old, ``migrate_from_chat_id`` in the new), and
    from then on the old id answers 400 with ``migrate_to_chat_id``."""
    old = st.chats.get(old_id)
    if old is None or old.type != "group":
        raise ValueError(f"chat {old_id} is not a registered basic group")
    new = st.add_chat(new_id, "supergroup", old.title, None, False)
    new.admins, new.owner, new.members = list(old.admins), old.owner, set(old.members)
    actor = st.ensure_user(actor_id)
    left = st.new_message(old, sender=actor)
    left["migrate_to_chat_id"] = new_id
    st.store(left, outgoing=False)
    first = st.push_update("message", left)
    came = st.new_message(new, sender=actor)
    came["migrate_from_chat_id"] = old_id
    st.store(came, outgoing=False)
    second = st.push_update("message", came)
    st.migrated[old_id] = new_id
    return first, second


TELEGRAM_SERVICE_USER = {"id": 777000, "is_bot": False, "first_name": "Telegram"}


def bot_status_changed(
    st: State, chat: Chat, actor: dict[str, Any], old: str, new: str
) -> dict[str, Any]:
    """A ``my_chat_member`` update: the bot's own status in ``chat`` changed."""

    def member(status: str) -> dict[str, Any]:
        obj: dict[str, Any] = {"status": status, "user": dict(st.bot)}
        if status == "kicked":
            obj["until_date"] = 0
        return obj

    payload = {
        "chat": chat.obj(),
        "from": dict(actor),
        "date": int(time.time()),
        "old_chat_member": member(old),
        "new_chat_member": member(new),
    }
    return st.push_update("my_chat_member", payload)


CAPTIONED = ("photo", "document", "video", "audio", "voice", "animation")
ENTITIES = {"text": "entities", "caption": "caption_entities"}


def edit_user_message(
    st: State,
    user_id: int,
    chat_id: int | None,
    message_id: int,
    *,
    text: str | None,
    caption: str | None,
    entities: list[dict[str, Any]] | None,
) -> dict[str, Any]:
    """A person edits a message they sent: an ``edited_message`` update with its new version.

    Telegram lets people edit only their own messages (never the bot's, never a deleted
    one), text as text and a caption as a caption. An edit that leaves the text as it was
    still makes an update (the Bot API: "may at times be triggered by changes to message
    fields that are either unavailable or not actively used by your bot"), so it is
    accepted here. The stored message becomes the new version, ``edit_date`` set."""
    chat = _chat_for(st, user_id, chat_id)
    stored = st.message(chat.id, message_id)
    if stored is None:
        raise ValueError(f"no message {message_id} in chat {chat.id} to edit")
    if stored.outgoing or stored.data.get("from", {}).get("id") != user_id:
        raise ValueError(f"message {message_id} in chat {chat.id} is not user {user_id}'s")
    field, value = _edited_field(stored.data, text, caption)
    data = copy.deepcopy(stored.data)  # a queued update of the old version keeps it
    data.pop(field, None)
    data.pop(ENTITIES[field], None)
    if value:
        data[field] = value
        if entities is None and field == "text":
            entities = _command_entities(value)
        if entities:
            data[ENTITIES[field]] = entities
    data["edit_date"] = max(int(time.time()), int(data["date"]))
    stored.data = data
    stored.edits += 1
    if field == "text":
        stored.raw_text = value
    else:
        stored.raw_caption = value
    return st.push_update("edited_message", data)


def _edited_field(data: dict[str, Any], text: str | None, caption: str | None) -> tuple[str, str]:
    """Which field an edit replaces (``text`` or ``caption``) and its new value, checked as
    Telegram's apps check them: a text stays non-empty text, a caption stays a caption (it
    may be removed), and neither goes past a person's limit."""
    if (text is None) == (caption is None):
        raise ValueError("an edit gives either a new text or a new caption")
    if text is not None:
        if "text" not in data:
            raise ValueError("a message without text can't get one: edit its caption")
        if not text.strip():
            raise ValueError("a text message can't be edited to empty text")
        if utf16_len(text) > TEXT_LIMIT:
            raise ValueError(f"a text is at most {TEXT_LIMIT} characters")
        return "text", text
    assert caption is not None
    if not any(kind in data for kind in CAPTIONED):
        raise ValueError("this message has no caption to edit")
    if utf16_len(caption) > CAPTION_LIMIT:
        raise ValueError(f"a caption is at most {CAPTION_LIMIT} characters")
    return "caption", caption
