"""Mutable state of the fake MAX server, guarded by one ``threading.Lock``.

Records are dataclasses; the public accessors hand out ``dataclasses.asdict`` copies.
Every function that touches ``State`` must hold ``state.lock``.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

BOT_USER_ID = 900000001
CHANNEL_ID = -72000000000001


class ChatType(StrEnum):
    """MAX's chat kinds."""

    # a one-to-one dialog of the bot with a user
    DIALOG = "dialog"
    # a group chat
    CHAT = "chat"
    # a channel (the office's publishing channel)
    CHANNEL = "channel"


class FaultKind(StrEnum):
    """What a scripted fault does to the next matching request."""

    # answer an API error (status + code) without acting
    ERROR = "error"
    # act, then answer only after a delay (the client times out after MAX accepted)
    TIMEOUT_AFTER_ACCEPT = "timeout_after_accept"


@dataclass
class User:
    """A MAX user (a citizen or the bot)."""

    user_id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    is_bot: bool = False

    def as_api(self) -> dict[str, Any]:
        """The schema's ``User``."""
        return {
            "user_id": self.user_id,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "username": self.username,
            "is_bot": self.is_bot,
            "last_activity_time": now_ms(),
        }


@dataclass
class Chat:
    """A chat the bot is in: the channel, or a dialog with one user."""

    chat_id: int
    type: ChatType
    title: str | None
    user_id: int | None = None
    bot_is_admin: bool = True
    bot_permissions: list[str] = field(default_factory=list)
    removed: bool = False


@dataclass
class Message:
    """A message in a chat (sent by the bot or injected from a user)."""

    mid: str
    seq: int
    chat_id: int
    chat_type: ChatType
    sender_id: int
    recipient_user_id: int | None
    raw_text: str | None
    format: str | None
    text: str
    markup: list[dict[str, Any]]
    attachments: list[dict[str, Any]]
    link: dict[str, Any] | None
    timestamp: int
    deleted: bool = False
    edits: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Upload:
    """An upload slot from ``POST /uploads``; filled by the HTTP upload."""

    slot: str
    type: str
    token: str
    data: bytes | None = None
    filename: str | None = None
    not_ready_left: int = 0
    photo_id: int | None = None


@dataclass
class PendingCallback:
    """A button tap waiting for ``POST /answers``."""

    callback_id: str
    user_id: int
    mid: str | None
    payload: str | None


@dataclass
class CallRecord:
    """One request to the API (token not kept)."""

    seq: int
    operation: str
    verb: str
    path: str
    query: dict[str, str]
    body: Any
    status: int = 0
    code: str | None = None
    time: float = field(default_factory=time.time)


@dataclass
class Fault:
    """A scripted fault for the next ``times`` calls of ``operation`` (``*`` = any)."""

    operation: str
    kind: FaultKind
    times: int
    status: int = 500
    code: str = "internal.error"
    message: str = ""
    delay: float = 0.0


@dataclass
class State:
    """All data of one fake MAX instance."""

    token: str
    bot: User
    limits: bool = True
    rps: int = 30
    text_limit: int = 4000
    not_ready_attempts: int = 1
    base_url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)
    users: dict[int, User] = field(default_factory=dict)
    chats: dict[int, Chat] = field(default_factory=dict)
    blocked: set[int] = field(default_factory=set)
    messages: dict[str, Message] = field(default_factory=dict)
    next_seq: int = 1
    uploads: dict[str, Upload] = field(default_factory=dict)
    blobs: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    next_photo_id: int = 7000001
    callbacks: dict[str, PendingCallback] = field(default_factory=dict)
    answers: list[dict[str, Any]] = field(default_factory=list)
    updates: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    next_marker: int = 1
    committed_marker: int = 1
    calls: list[CallRecord] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    window: deque[float] = field(default_factory=deque)
    counters: dict[str, int] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    internal_errors: list[str] = field(default_factory=list)
    notify: Callable[[], None] = field(default=lambda: None)
    # the rate window's clock; tests may pin it to make "within one second" exact
    clock: Callable[[], float] = field(default=time.monotonic)

    def bump(self, counter: str) -> None:
        """Increment a named statistics counter."""
        self.counters[counter] = self.counters.get(counter, 0) + 1

    def url(self, path: str) -> str:
        """Absolute URL of a path served by the fake."""
        return f"{self.base_url}{path}"

    def new_mid(self) -> tuple[str, int]:
        """A fresh message id and its sequence number."""
        seq = self.next_seq
        self.next_seq += 1
        return f"mid.{seq:016x}", seq

    def dialog_of(self, user_id: int) -> Chat:
        """The dialog chat with ``user_id`` (created on first use, id = user id + offset)."""
        chat_id = 10_000_000_000 + user_id
        chat = self.chats.get(chat_id)
        if chat is None:
            chat = Chat(chat_id, ChatType.DIALOG, None, user_id=user_id)
            self.chats[chat_id] = chat
        return chat


def now_ms() -> int:
    """Milliseconds since the epoch, as MAX's dates are."""
    return int(time.time() * 1000)
