"""The fake's state: chats, users, messages, files, updates, logs.

Everything here is guarded by ``State.lock``; methods of ``State`` expect the
caller to hold it.
"""

from __future__ import annotations

import copy
import itertools
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .errors import ApiError, bad_request
from .limits import LimitConfig, RateLimiter
from .media import FOLDER, PREFIX, FileRecord, extension, scaled

CHAT_TYPES = frozenset({"private", "group", "supergroup", "channel"})
UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "callback_query",
        "my_chat_member",
        "chat_member",
        "message_reaction",
        "message_reaction_count",
    }
)
# Telegram does not send these unless they are listed in allowed_updates.
OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


@dataclass
class Chat:
    """A chat known to the fake."""

    id: int
    type: str
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    is_forum: bool = False
    topics: dict[int, str] = field(default_factory=dict)
    admins: list[int] = field(default_factory=list)
    owner: int | None = None
    members: set[int] = field(default_factory=set)
    next_message_id: int = 1

    def obj(self) -> dict[str, Any]:
        """The Chat object."""
        obj: dict[str, Any] = {"id": self.id, "type": self.type}
        for key in ("title", "username", "first_name", "last_name"):
            value = getattr(self, key)
            if value is not None:
                obj[key] = value
        if self.is_forum:
            obj["is_forum"] = True
        return obj

    def full(self) -> dict[str, Any]:
        """The ChatFullInfo object."""
        return {
            **self.obj(),
            "accent_color_id": abs(self.id) % 7,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": True,
                "limited_gifts": True,
                "unique_gifts": True,
                "premium_subscription": True,
                "gifts_from_channels": True,
            },
        }


@dataclass
class StoredMessage:
    """A message in a chat's history, with what the bot sent to make it."""

    data: dict[str, Any]
    outgoing: bool
    seq: int
    method: str | None = None
    raw_text: str | None = None
    raw_caption: str | None = None
    parse_mode: str | None = None
    deleted: bool = False
    edits: int = 0

    @property
    def chat_id(self) -> int:
        return int(self.data["chat"]["id"])

    @property
    def message_id(self) -> int:
        return int(self.data["message_id"])

    def record(self) -> dict[str, Any]:
        """A copy for the public accessors."""
        return {
            **copy.deepcopy(self.data),
            "deleted": self.deleted,
            "edits": self.edits,
            "raw_text": self.raw_text,
            "raw_caption": self.raw_caption,
            "parse_mode": self.parse_mode,
            "method": self.method,
            "outgoing": self.outgoing,
        }

    def snapshot(self) -> dict[str, Any]:
        """The message as nested in ``reply_to_message`` (one level only)."""
        data = copy.deepcopy(self.data)
        data.pop("reply_to_message", None)
        return data


@dataclass
class Fault:
    """An injected failure waiting for a matching call."""

    method: str
    kind: str
    times: int
    chat_id: int | str | None
    retry_after: int
    delay: float
    description: str | None


class State:
    """All mutable state of one fake server."""

    def __init__(
        self,
        token: str,
        bot_username: str,
        limits: bool,
        clock: Callable[[], float],
        limit_config: LimitConfig,
        strict_amp: bool,
        auto_create_chats: bool,
    ) -> None:
        self.lock = threading.Lock()
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot: dict[str, Any] = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Glashatai Test Bot",
            "username": bot_username,
        }
        self.users: dict[int, dict[str, Any]] = {self.bot_id: dict(self.bot)}
        self.blocked: set[int] = set()
        self.kicked: set[int] = set()
        self.chats: dict[int, Chat] = {}
        self.migrated: dict[int, int] = {}  # a group upgraded to a supergroup: old id -> new
        self.messages: dict[tuple[int, int], StoredMessage] = {}
        self.updates: list[dict[str, Any]] = []
        self.next_update_id = 100_000_001
        self.allowed_updates: frozenset[str] | None = None
        self.poll_generation = 0
        self.files: dict[str, FileRecord] = {}
        self.file_paths: dict[str, FileRecord] = {}
        self.photo_index: dict[str, list[dict[str, Any]]] = {}  # any size's file_id -> sizes
        self.callbacks: dict[str, dict[str, Any]] = {}
        self.answers: list[dict[str, Any]] = []
        self.request_log: list[dict[str, Any]] = []
        self.faults: list[Fault] = []
        self.counters: Counter[str] = Counter()
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.chat_actions: list[dict[str, Any]] = []
        self.limiter = RateLimiter(limit_config, clock)
        self.limits = limits
        self.strict_amp = strict_amp
        self.auto_create_chats = auto_create_chats
        self._seq = itertools.count(1)
        self._file_no = itertools.count(1)

    # --- users and chats ---------------------------------------------------

    def add_user(
        self,
        user_id: int,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
    ) -> dict[str, Any]:
        if user_id <= 0:
            raise ValueError("user ids are positive")
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name is not None:
            user["last_name"] = last_name
        if username is not None:
            user["username"] = username
        self.users[user_id] = user
        chat = self.chats.get(user_id)
        if chat is None:
            chat = self.chats[user_id] = Chat(user_id, "private")
        chat.first_name, chat.last_name, chat.username = first_name, last_name, username
        return user

    def ensure_user(self, user_id: int) -> dict[str, Any]:
        if user_id not in self.users:
            self.add_user(user_id, f"User{user_id}")
        return self.users[user_id]

    def add_chat(
        self,
        chat_id: int,
        chat_type: str,
        title: str | None,
        username: str | None,
        is_forum: bool,
    ) -> Chat:
        if chat_type not in CHAT_TYPES:
            raise ValueError(f"unknown chat type {chat_type!r}")
        if chat_type == "private":
            user = self.ensure_user(chat_id)
            return self.chats[user["id"]]
        if chat_id >= 0:
            raise ValueError("group and channel ids are negative")
        if is_forum and chat_type != "supergroup":
            raise ValueError("only supergroups can be forums")
        chat = Chat(
            chat_id,
            chat_type,
            title=title or f"Chat {chat_id}",
            username=username.lstrip("@") if username else None,
            is_forum=is_forum,
        )
        self.chats[chat_id] = chat
        return chat

    def chat(self, raw: str | int | None) -> Chat:
        """Resolve a ``chat_id`` parameter like Telegram."""
        if raw is None or raw == "":
            raise bad_request("chat_id is empty")
        text = str(raw).strip()
        if text.startswith("@"):
            name = text[1:].lower()
            for known in self.chats.values():
                if known.type != "private" and (known.username or "").lower() == name:
                    return known
            raise bad_request("chat not found")
        try:
            chat_id = int(text)
        except ValueError:
            raise bad_request("chat not found") from None
        if chat_id in self.migrated:
            # As Telegram: the old group's id names no chat any more; the error says where.
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self.migrated[chat_id]},
            )
        chat = self.chats.get(chat_id)
        if chat is None and self.auto_create_chats and chat_id != 0:
            if chat_id > 0:
                self.ensure_user(chat_id)
            else:
                self.add_chat(chat_id, "supergroup", None, None, False)
            chat = self.chats[chat_id]
        if chat is None:
            raise bad_request("chat not found")
        return chat

    # --- messages ----------------------------------------------------------

    def new_message(
        self, chat: Chat, *, sender: dict[str, Any] | None, thread_id: int | None = None
    ) -> dict[str, Any]:
        """A Message skeleton with the next id of the chat (``sender`` None = the bot)."""
        message_id = chat.next_message_id
        chat.next_message_id += 1
        data: dict[str, Any] = {"message_id": message_id}
        if thread_id is not None:
            data["message_thread_id"] = thread_id
            if chat.is_forum:
                data["is_topic_message"] = True
        if chat.type == "channel":
            data["sender_chat"] = chat.obj()
        else:
            data["from"] = dict(sender if sender is not None else self.bot)
        data["date"] = int(time.time())
        data["chat"] = chat.obj()
        return data

    def store(self, data: dict[str, Any], *, outgoing: bool, **meta: Any) -> StoredMessage:
        stored = StoredMessage(data=data, outgoing=outgoing, seq=next(self._seq), **meta)
        self.messages[(stored.chat_id, stored.message_id)] = stored
        return stored

    def message(self, chat_id: int, message_id: int | None) -> StoredMessage | None:
        """A message that exists (not deleted)."""
        if message_id is None:
            return None
        stored = self.messages.get((chat_id, message_id))
        return None if stored is None or stored.deleted else stored

    # --- updates -----------------------------------------------------------

    def push_update(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Queue an update, unless the bot's ``allowed_updates`` exclude its kind (then,
        as in Telegram, it is never delivered); returns it either way."""
        update = {"update_id": self.next_update_id, kind: payload}
        self.next_update_id += 1
        if self.wanted(kind):
            self.updates.append(update)
        return copy.deepcopy(update)

    def wanted(self, kind: str) -> bool:
        if self.allowed_updates is None:
            return kind not in OPT_IN_UPDATES
        return kind in self.allowed_updates

    def confirm(self, offset: int | None) -> None:
        """Apply getUpdates' ``offset`` (confirm or, if negative, keep the last -offset)."""
        if offset is None or offset == 0:
            return
        if offset < 0:
            self.updates = self.updates[offset:]
        else:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]

    def pending(self, limit: int) -> list[dict[str, Any]]:
        """Updates to hand out (``allowed_updates`` apply to updates created later)."""
        return copy.deepcopy(self.updates[:limit])

    # --- files -------------------------------------------------------------

    def new_file(
        self,
        kind: str,
        data: bytes | None,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        width: int = 0,
        height: int = 0,
        url: str | None = None,
    ) -> FileRecord:
        number = next(self._file_no)
        record = FileRecord(
            file_id=f"{PREFIX.get(kind, 'BQAC')}AgIAAxkBAA{number:06d}{secrets.token_urlsafe(12)}",
            file_unique_id=f"AQAD{number:04d}{secrets.token_urlsafe(6)}",
            kind=kind,
            data=data,
            file_path="",
            file_name=file_name,
            mime_type=mime_type,
            width=width,
            height=height,
            url=url,
        )
        record.file_path = f"{FOLDER.get(kind, 'documents')}/file_{number}.{extension(record)}"
        self.files[record.file_id] = record
        self.file_paths[record.file_path] = record
        return record

    def photo_sizes(
        self, data: bytes | None, width: int, height: int, url: str | None = None
    ) -> list[dict[str, Any]]:
        """PhotoSize list (smallest first) for a new photo: thumbnails plus the original."""
        sizes = []
        seen: set[tuple[int, int]] = set()
        for side in (90, 320, 800, 1280):
            w, h = scaled(width, height, side)
            if (w, h) in seen:
                continue
            seen.add((w, h))
            record = self.new_file("photo", data, width=w, height=h, url=url)
            sizes.append({**record.base(), "width": w, "height": h})
        for size in sizes:
            self.photo_index[size["file_id"]] = sizes
        return copy.deepcopy(sizes)

    def photo_from(self, file_id: str) -> list[dict[str, Any]] | None:
        """The PhotoSize list that the photo ``file_id`` belongs to."""
        sizes = self.photo_index.get(file_id)
        return copy.deepcopy(sizes) if sizes is not None else None
