"""The neutral payload of an outbox row, built by services and read by platform senders.

A payload names what to say (rich text), the buttons (opaque server-side tokens or links),
stored media by id and what to reply to; it never holds platform markup.

An edit may name its ``target``, the send whose messages it edits: the dispatcher then
points it at the messages that send shows now, with ``shown`` (what each of them shows,
as the sender's opaque digest) so that the sender can skip an edit that changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.richtext import Document, dump, load


@dataclass(frozen=True)
class Button:
    label: str
    token: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class MessagePayload:
    doc: Document = field(default_factory=Document)
    buttons: tuple[tuple[Button, ...], ...] = ()
    media: tuple[int, ...] = ()
    reply_to: int | None = None
    thread_id: int | None = None
    preview: bool = False
    message_ids: tuple[int, ...] = ()
    caption: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    target: int | None = None
    shown: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"doc": dump(self.doc)}
        if self.buttons:
            out["buttons"] = [
                [{k: v for k, v in vars(b).items() if v is not None} for b in row]
                for row in self.buttons
            ]
        if self.media:
            out["media"] = list(self.media)
        for key in ("reply_to", "thread_id", "target"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.preview:
            out["preview"] = True
        if self.message_ids:
            out["message_ids"] = list(self.message_ids)
        if self.caption:
            out["caption"] = True
        if self.extra:
            out["extra"] = self.extra
        if self.shown:
            out["shown"] = self.shown
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MessagePayload:
        return cls(
            doc=load(data.get("doc", [])),
            buttons=tuple(
                tuple(Button(**button) for button in row) for row in data.get("buttons", [])
            ),
            media=tuple(data.get("media", [])),
            reply_to=data.get("reply_to"),
            thread_id=data.get("thread_id"),
            preview=bool(data.get("preview", False)),
            message_ids=tuple(data.get("message_ids", [])),
            caption=bool(data.get("caption", False)),
            extra=dict(data.get("extra", {})),
            target=data.get("target"),
            shown=dict(data.get("shown", {})),
        )


def message(
    doc: Document,
    *,
    buttons: Sequence[Sequence[Button]] = (),
    media: Sequence[int] = (),
    reply_to: int | None = None,
    thread_id: int | None = None,
    preview: bool = False,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return MessagePayload(
        doc=doc,
        buttons=tuple(tuple(row) for row in buttons),
        media=tuple(media),
        reply_to=reply_to,
        thread_id=thread_id,
        preview=preview,
        extra=extra or {},
    ).to_dict()


def edit(
    message_ids: Sequence[int],
    doc: Document,
    *,
    buttons: Sequence[Sequence[Button]] = (),
    caption: bool = False,
    extra: dict[str, Any] | None = None,
    target: int | None = None,
) -> dict[str, Any]:
    """An edit of ``message_ids``; with ``target`` (the outbox id of the send that made
    them), of whatever messages that send shows when the edit goes out."""
    return MessagePayload(
        doc=doc,
        buttons=tuple(tuple(row) for row in buttons),
        message_ids=tuple(message_ids),
        caption=caption,
        extra=extra or {},
        target=target,
    ).to_dict()


def delete(message_ids: Sequence[int], *, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return MessagePayload(message_ids=tuple(message_ids), extra=extra or {}).to_dict()
