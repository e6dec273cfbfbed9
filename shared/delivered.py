"""What a platform made of one send: its remote messages, each with its role, and the link.

A platform's sender returns it from every delivery; the outbox stores its serialised form
as the row's result, and ``shared/`` reads it through this type only (``ids(Role.TEXT)``),
never through a platform's keys. A publication keeps it on its record and hands it back
unchanged when the post must be edited or deleted: the same platform's sender turns it
into its own calls. ``refs`` is the platform's own (a chat id, attachment codes): only its
sender reads them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

KEY = "delivered"  # where an edit's payload carries the publication's delivery

# What an outbox result held before deliveries were typed: the message ids, which of them
# hold text, whether the first is a caption, the link and each message's digest. Every
# other key of such a result was the sender's own note and is kept in ``refs``.
_UNTYPED = ("message_ids", "text_message_ids", "caption", "url", "shown", KEY)


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
    # The sender's digest of what the message shows (opaque to everyone else): an edit
    # to the same digest would change nothing, so the sender may skip it.
    shown: str | None = None


@dataclass(frozen=True)
class Delivered:
    """The typed result of a send, an edit or a deletion, as the outbox stores it."""

    messages: tuple[RemoteMessage, ...] = ()
    url: str | None = None  # the public link, if the platform gives one
    refs: dict[str, Any] = field(default_factory=dict)  # the platform's own notes

    def ids(self, *roles: Role) -> list[str]:
        """The messages' ids in order, only those of ``roles`` when given."""
        return [m.id for m in self.messages if not roles or m.role in roles]

    def shown(self) -> dict[str, str]:
        """Each message's digest of what it shows, by message id (those that have one)."""
        return {m.id: m.shown for m in self.messages if m.shown is not None}

    def to_dict(self) -> dict[str, Any]:
        messages: list[dict[str, Any]] = []
        for m in self.messages:
            one: dict[str, Any] = {"id": m.id, "role": m.role.value}
            if m.shown is not None:
                one["shown"] = m.shown
            messages.append(one)
        return {"messages": messages, "url": self.url, "refs": self.refs}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Delivered | None:
        """The stored form read back, or an older outbox result's; None when it names no
        delivery (nothing stored, a moderator's confirmation, a result of another kind).

        Two older shapes are read: a result that carried this type under ``KEY`` beside
        the sender's keys, and one from before typing (``message_ids`` and the rest).
        """
        if not data:
            return None
        if "messages" in data:
            return cls(
                messages=tuple(
                    RemoteMessage(str(m["id"]), Role(m["role"]), m.get("shown"))
                    for m in data.get("messages") or []
                ),
                url=data.get("url"),
                refs=dict(data.get("refs") or {}),
            )
        if isinstance(data.get(KEY), Mapping):
            inner = cls.from_dict(data[KEY])
            return None if inner is None else inner.with_shown(data.get("shown") or {})
        if "message_ids" in data:
            return cls._untyped(data)
        return None

    @classmethod
    def _untyped(cls, data: Mapping[str, Any]) -> Delivered:
        """A result stored before deliveries were typed: roles from its text ids and caption."""
        ids = [str(i) for i in data.get("message_ids") or []]
        texts = {str(i) for i in data.get("text_message_ids", ids) or []}
        caption = bool(data.get("caption"))
        shown = {str(k): str(v) for k, v in (data.get("shown") or {}).items()}
        messages = []
        for n, message_id in enumerate(ids):
            if caption and n == 0:
                role = Role.CAPTION
            else:
                role = Role.TEXT if message_id in texts else Role.MEDIA
            messages.append(RemoteMessage(message_id, role, shown.get(message_id)))
        refs = {k: v for k, v in data.items() if k not in _UNTYPED}
        return cls(tuple(messages), url=data.get("url"), refs=refs)

    def with_shown(self, shown: Mapping[str, Any]) -> Delivered:
        """The same delivery with these digests on the messages they name."""
        if not shown:
            return self
        messages = tuple(
            RemoteMessage(m.id, m.role, str(shown[m.id]) if m.id in shown else m.shown)
            for m in self.messages
        )
        return Delivered(messages, url=self.url, refs=self.refs)


def stored(payload_extra: Mapping[str, Any]) -> Mapping[str, Any]:
    """The stored delivery an edit or a deletion of a record names (old shape or new)."""
    return dict(payload_extra.get(KEY) or {})
