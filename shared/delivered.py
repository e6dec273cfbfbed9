"""What a platform made of one send: its remote messages, each with its role, and the link.

A platform's sender builds it; ``shared/`` keeps it on the record (a publication) without
reading the platform's ids, and hands it back unchanged when the post must be edited or
deleted: the same platform's sender turns it into its own calls. ``refs`` is the
platform's own (a chat id, attachment codes): only its sender reads them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

KEY = "delivered"  # where a send's result and an edit's payload carry it


class Role(StrEnum):
    """What one remote message shows of the post."""

    TEXT = "text"  # a message holding (a part of) the text
    CAPTION = "caption"  # a photo or document whose caption holds the text (its first part)
    MEDIA = "media"  # a photo or document without text (an album's other items)
    POST = "post"  # one remote object holding the whole post, text and attachments (a wall post)


@dataclass(frozen=True)
class RemoteMessage:
    id: str  # the platform's id of the message, as text
    role: Role


@dataclass(frozen=True)
class Delivered:
    """The typed result of a send or an edit, as stored on the record it belongs to."""

    messages: tuple[RemoteMessage, ...] = ()
    url: str | None = None  # the public link, if the platform gives one
    refs: dict[str, Any] = field(default_factory=dict)  # the platform's own notes

    def ids(self, *roles: Role) -> list[str]:
        """The messages' ids in order, only those of ``roles`` when given."""
        return [m.id for m in self.messages if not roles or m.role in roles]

    def to_dict(self) -> dict[str, Any]:
        return {
            "messages": [{"id": m.id, "role": m.role.value} for m in self.messages],
            "url": self.url,
            "refs": self.refs,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Delivered | None:
        """The stored form read back; None for a row stored before results were typed."""
        if not data or "messages" not in data:
            return None
        return cls(
            messages=tuple(
                RemoteMessage(str(m["id"]), Role(m["role"])) for m in data.get("messages", [])
            ),
            url=data.get("url"),
            refs=dict(data.get("refs") or {}),
        )

    @classmethod
    def of_result(cls, result: Mapping[str, Any] | None) -> Delivered | None:
        """What a sender's result says it delivered (None: it says nothing typed)."""
        return cls.from_dict((result or {}).get(KEY))


def stored(payload_extra: Mapping[str, Any]) -> Mapping[str, Any]:
    """The stored delivery an edit or a deletion of a record names (old shape or new)."""
    return dict(payload_extra.get(KEY) or {})
