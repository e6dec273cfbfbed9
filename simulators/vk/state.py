"""Mutable state of the fake, guarded by one ``threading.Lock``.

Records are dataclasses; public accessors hand out ``dataclasses.asdict``
copies.  Every function that touches ``State`` must hold ``state.lock``.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

API_VERSION = "5.199"
CHAT_PEER_START = 2_000_000_000


@dataclass
class User:
    """A VK user known to the fake (answers ``users.get``)."""

    id: int
    first_name: str
    last_name: str
    screen_name: str = ""
    sex: int = 0


@dataclass
class SentMessage:
    """A message sent through ``messages.send`` (edits update it in place)."""

    id: int
    peer_id: int
    from_id: int
    random_id: int
    message: str
    attachments: list[str]
    keyboard: dict[str, Any] | None
    reply_to: int | None
    conversation_message_id: int
    date: int
    token_type: str
    payload: str | None = None
    edits: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class WallPost:
    """A post on the community wall made through ``wall.post``."""

    id: int
    owner_id: int
    from_id: int
    created_by: int
    message: str
    attachments: list[str]
    guid: str | None
    date: int
    publish_date: int | None = None
    signed: bool = False
    close_comments: bool = False
    mute_notifications: bool = False
    copyright: str | None = None
    edits: int = 0
    edited: int | None = None
    deleted: bool = False
    history: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Photo:
    """A stored photo (uploaded through the API or injected with a message)."""

    id: int
    owner_id: int
    album_id: int
    user_id: int
    date: int
    width: int
    height: int
    access_key: str
    blob: str
    text: str = ""


@dataclass
class Doc:
    """A stored document or audio message."""

    id: int
    owner_id: int
    title: str
    ext: str
    size: int
    type: int
    date: int
    access_key: str
    blob: str
    kind: str = "doc"  # "doc" | "audio_message" | "graffiti"


@dataclass
class UploadServer:
    """An upload URL handed out by a ``*.get*UploadServer`` method."""

    id: str
    kind: str  # "photo_wall" | "photo_messages" | "doc_wall" | "doc_messages"
    owner_id: int
    uploader_id: int
    doc_type: str = "doc"


@dataclass
class UploadRecord:
    """One HTTP upload to an upload URL, for ``FakeVK.uploads()``."""

    server_id: str
    kind: str
    owner_id: int
    files: list[dict[str, Any]]
    response: dict[str, Any]
    time: float


@dataclass
class CallRecord:
    """One request to ``/method/{name}`` for ``FakeVK.calls()``."""

    seq: int
    method: str
    params: dict[str, str]
    token_type: str  # "user" | "group" | "missing" | "invalid"
    http_method: str
    time: float
    error_code: int | None = None
    http_status: int = 200
    outcome: str = "pending"  # ok | error | http_error | timeout | crash


@dataclass
class Fault:
    """A scripted failure for the next ``times`` calls of ``method`` (or ``*``)."""

    method: str
    kind: str  # "error" | "http" | "timeout" | "hold"
    times: int
    code: int = 0
    status: int = 500
    delay: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)
    held: bool = False  # an "http" failure answered only once the test releases answers


@dataclass
class Captcha:
    """A captcha issued with error 14."""

    sid: str
    answer: str
    method: str


@dataclass
class PendingEvent:
    """A callback-button press (``message_event``) awaiting an answer."""

    event_id: str
    user_id: int
    peer_id: int
    conversation_message_id: int | None
    payload: Any
    time: float


@dataclass
class State:
    """All data of one fake VK instance."""

    group_id: int
    group_token: str
    user_token: str
    user_id: int
    group_name: str
    screen_name: str
    limits: bool = True
    group_rps: int = 20
    user_rps: int = 3
    admin_level: int = 3
    longpoll_enabled: bool = True
    emit_message_reply: bool = False
    base_url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(16))
    # users and permissions
    users: dict[int, User] = field(default_factory=dict)
    allowed: set[int] = field(default_factory=set)
    blocked: set[int] = field(default_factory=set)
    # messages
    next_message_id: int = 1
    cmids: dict[int, int] = field(default_factory=dict)
    sent: list[SentMessage] = field(default_factory=list)
    inbound: list[dict[str, Any]] = field(default_factory=list)
    random_ids: dict[tuple[int, int], tuple[int, float]] = field(default_factory=dict)
    pending_events: dict[str, PendingEvent] = field(default_factory=dict)
    event_answers: list[dict[str, Any]] = field(default_factory=list)
    # wall
    next_post_id: int = 1
    posts: dict[int, WallPost] = field(default_factory=dict)
    guids: dict[tuple[int, str], int] = field(default_factory=dict)
    # media
    next_photo_id: int = 457239017
    next_doc_id: int = 676000001
    photos: dict[tuple[int, int], Photo] = field(default_factory=dict)
    docs: dict[tuple[int, int], Doc] = field(default_factory=dict)
    blobs: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    upload_servers: dict[str, UploadServer] = field(default_factory=dict)
    upload_log: list[UploadRecord] = field(default_factory=list)
    uploaded: dict[str, tuple[bytes, str, str]] = field(default_factory=dict)  # data, name, server
    saved: dict[str, tuple[int, int]] = field(default_factory=dict)  # upload key -> media key
    # calls, faults, limits
    calls: list[CallRecord] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    captchas: dict[str, Captcha] = field(default_factory=dict)
    windows: dict[str, deque[float]] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    errors_by_code: dict[int, int] = field(default_factory=dict)
    # bots long poll
    lp_events: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    lp_next_seq: int = 1
    lp_keys: set[str] = field(default_factory=set)
    lp_forced: list[int] = field(default_factory=list)
    lp_notify: Callable[[], None] = field(default=lambda: None)
    holding: bool = False  # answers of "hold" faults wait until a test releases them

    def token_type(self, token: str | None) -> str:
        """Classify an access token: ``user``, ``group``, ``missing``, ``invalid``."""
        if not token:
            return "missing"
        if token == self.group_token:
            return "group"
        if token == self.user_token:
            return "user"
        return "invalid"

    def bump(self, counter: str, by: int = 1) -> None:
        """Increment a named statistics counter."""
        self.counters[counter] = self.counters.get(counter, 0) + by

    def next_cmid(self, peer_id: int) -> int:
        """Next ``conversation_message_id`` in the conversation with ``peer_id``."""
        self.cmids[peer_id] = self.cmids.get(peer_id, 0) + 1
        return self.cmids[peer_id]

    def new_message_id(self) -> int:
        """Next community-wide message id (shared by inbound and outbound)."""
        self.next_message_id += 1
        return self.next_message_id - 1

    def url(self, path: str) -> str:
        """Absolute URL of a path served by the fake."""
        return f"{self.base_url}{path}"


def now() -> int:
    """Unix time, as VK dates are."""
    return int(time.time())


def access_key() -> str:
    """A random hex access key like VK's."""
    return secrets.token_hex(9)
