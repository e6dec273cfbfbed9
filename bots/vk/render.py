"""Neutral rich text to what VK shows: plain text, links written out, and VK keyboards."""

from __future__ import annotations

import json
from collections.abc import Sequence

from shared.outbox.payload import Button
from shared.richtext import Document, split, to_plain

MESSAGE_LIMIT = 4096
WALL_LIMIT = 16384
LABEL_LIMIT = 40


def wall_text(doc: Document) -> str:
    return to_plain(doc)


def plain_chunks(doc: Document) -> list[str]:
    return [to_plain(part) for part in split(doc, MESSAGE_LIMIT)]


def _label(text: str) -> str:
    return text if len(text) <= LABEL_LIMIT else text[: LABEL_LIMIT - 1] + "…"


def keyboard_json(rows: Sequence[Sequence[Button]], *, inline: bool = True) -> str:
    """An inline keyboard: callback buttons carry the server-side token, nothing else."""
    buttons = []
    for row in rows:
        out = []
        for button in row:
            if button.url:
                action = {"type": "open_link", "link": button.url, "label": _label(button.label)}
            else:
                action = {
                    "type": "callback",
                    "label": _label(button.label),
                    "payload": json.dumps({"t": button.token}),
                }
            out.append({"action": action})
        buttons.append(out)
    return json.dumps({"inline": inline, "buttons": buttons}, ensure_ascii=False)
