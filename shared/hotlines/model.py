"""What the platform adapters hand to the hotline core: neutral, already downloaded."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

# Outbox priorities in the admin chat and towards citizens: a moderator's own replies go
# ahead of the card backlog, which waits its turn at 20 messages a minute.
PRIORITY_CARD = 0
PRIORITY_SUMMARY = 5
PRIORITY_CITIZEN = 10
PRIORITY_MODERATOR = 20

NameLookup = Callable[[], Awaitable[str | None]]


@dataclass(frozen=True)
class Attachment:
    """A photo or document a person sent, with its bytes and the platform's own reference."""

    kind: str
    filename: str
    mime: str
    data: bytes | None
    refs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Incoming:
    """A citizen's message, as every platform describes it."""

    platform: str
    user_id: str
    peer: str
    text: str = ""
    attachments: tuple[Attachment, ...] = ()
    unsupported: bool = False
    start: bool = False
    album: str | None = None
    name: NameLookup | None = None
    known_name: str | None = None  # when the platform sends it with every message


@dataclass(frozen=True)
class Moderator:
    id: int
    name: str

    @property
    def actor(self) -> str:
        return f"tg:{self.id}"
