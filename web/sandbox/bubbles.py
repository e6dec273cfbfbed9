"""The simulators' records as one shape the page draws: a message bubble or a post.

Each platform keeps its messages its own way (Telegram's Message objects, VK's messages and
wall posts, MAX's messages); the page needs only who wrote, the text (plain, or the bot's
HTML through the sanitiser), the photos (same-origin URLs), the buttons and whether the
message was edited or deleted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from web.sandbox.sanitize import sanitise

MEDIA = "/sandbox/api/media"


@dataclass(frozen=True)
class Button:
    """A button under a message: pressed by its label, or a link opened."""

    label: str
    url: str | None = None


@dataclass
class Bubble:
    """One message or post as the page shows it."""

    # the platform's id of the message (Telegram message_id, VK conversation_message_id or
    # post id, MAX mid): what a reply or a press names
    id: str
    # written by the person the view belongs to (a citizen, the moderator)
    mine: bool
    author: str
    # plain text, shown with textContent
    text: str = ""
    # the bot's formatted text, sanitised (shown instead of ``text`` when present)
    html: str | None = None
    photos: list[str] = field(default_factory=list)
    buttons: list[list[Button]] = field(default_factory=list)
    edited: bool = False
    deleted: bool = False
    # the first words of the message this one replies to
    reply_to: str | None = None


def media_url(platform: str, ref: str) -> str:
    """The page's own address for a photo (``ref``: a Telegram file id or a media path)."""
    return f"{MEDIA}/{platform}?ref={quote(ref, safe='')}"


def _link(url: Any) -> str | None:
    text = str(url or "")
    return text if text.startswith(("http://", "https://")) else None


# --- Telegram -----------------------------------------------------------------------------


def _tg_author(message: dict[str, Any], bot_name: str) -> str:
    if message.get("outgoing"):
        return bot_name
    sender = message.get("from") or {}
    return " ".join(p for p in (sender.get("first_name"), sender.get("last_name")) if p)


def _tg_buttons(message: dict[str, Any]) -> list[list[Button]]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [[Button(str(b["text"]), _link(b.get("url"))) for b in row] for row in rows]


def _tg_text(message: dict[str, Any]) -> tuple[str, str | None]:
    text = str(message.get("text") or message.get("caption") or "")
    raw = message.get("raw_text") or message.get("raw_caption")
    if message.get("outgoing") and message.get("parse_mode") == "HTML" and raw:
        return text, sanitise(str(raw))
    return text, None


def telegram(message: dict[str, Any], me: int | None, bot_name: str) -> Bubble:
    """A message from the Telegram simulator's ``/control/messages``."""
    text, html = _tg_text(message)
    photos = message.get("photo") or []
    reply = message.get("reply_to_message")
    sender = (message.get("from") or {}).get("id")
    return Bubble(
        id=str(message["message_id"]),
        mine=not message.get("outgoing") and sender == me,
        author=_tg_author(message, bot_name),
        text=text,
        html=html,
        photos=[media_url("telegram", str(photos[-1]["file_id"]))] if photos else [],
        buttons=_tg_buttons(message),
        edited=bool(message.get("edits")),
        deleted=bool(message.get("deleted")),
        reply_to=_first_words(str(reply.get("text") or reply.get("caption") or ""))
        if reply
        else None,
    )


def _first_words(text: str, limit: int = 60) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else f"{line[:limit]}…"


# --- VK -------------------------------------------------------------------------------------


def _vk_buttons(keyboard: Any) -> list[list[Button]]:
    if isinstance(keyboard, str):
        keyboard = json.loads(keyboard)
    rows = (keyboard or {}).get("buttons", [])
    return [
        [Button(str(b["action"].get("label", "")), _link(b["action"].get("link"))) for b in row]
        for row in rows
    ]


def vk_message(message: dict[str, Any], bot_name: str, citizen_name: str) -> Bubble:
    """A message from the VK simulator's ``/control/messages?incoming=1``."""
    mine = not message.get("out")
    return Bubble(
        id=str(message["conversation_message_id"]),
        mine=mine,
        author=citizen_name if mine else bot_name,
        text=str(message.get("message") or ""),
        photos=[media_url("vk", path) for path in message.get("photos", [])],
        buttons=[] if mine else _vk_buttons(message.get("keyboard")),
        edited=bool(message.get("edits")),
    )


def vk_post(post: dict[str, Any], community: str) -> Bubble:
    """A post from the VK simulator's ``/control/wall``."""
    return Bubble(
        id=str(post["id"]),
        mine=False,
        author=community,
        text=str(post.get("message") or ""),
        photos=[media_url("vk", path) for path in post.get("photos", [])],
        edited=bool(post.get("edits")),
        deleted=bool(post.get("deleted")),
    )


# --- MAX ------------------------------------------------------------------------------------


def _max_media_path(url: Any) -> str | None:
    text = str(url or "")
    at = text.find("/media/")
    return text[at:] if at >= 0 else None


def _max_parts(message: dict[str, Any]) -> tuple[list[str], list[list[Button]]]:
    photos: list[str] = []
    buttons: list[list[Button]] = []
    for attachment in message.get("attachments", []):
        payload = attachment.get("payload") or {}
        if attachment.get("type") == "image":
            path = _max_media_path(payload.get("url"))
            if path is not None:
                photos.append(media_url("max", path))
        elif attachment.get("type") == "inline_keyboard":
            buttons += [
                [Button(str(b.get("text", "")), _link(b.get("url"))) for b in row]
                for row in payload.get("buttons", [])
            ]
    return photos, buttons


def max_message(message: dict[str, Any], me: int | None, bot_name: str, name: str) -> Bubble:
    """A message from the MAX simulator's ``/control/messages``."""
    mine = me is not None and message.get("sender_id") == me
    photos, buttons = _max_parts(message)
    raw = message.get("raw_text")
    html = sanitise(str(raw)) if not mine and message.get("format") == "html" and raw else None
    return Bubble(
        id=str(message["mid"]),
        mine=mine,
        author=name if mine else bot_name,
        text=str(message.get("text") or ""),
        html=html,
        photos=photos,
        buttons=buttons,
        edited=bool(message.get("edits")),
        deleted=bool(message.get("deleted")),
    )
