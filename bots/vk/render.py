"""Neutral rich text to what VK shows: plain text, links written out, and VK keyboards
(kept within VK's limits on rows and buttons)."""

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


# VK's keyboard limits: (rows, buttons in a row, buttons in all); error 911 beyond them.
INLINE_LIMITS = (6, 5, 10)
REGULAR_LIMITS = (10, 5, 40)


def fit(rows: Sequence[Sequence[Button]], *, inline: bool = True) -> list[list[Button]]:
    """The rows within VK's limits (an inline keyboard: 6 rows, 5 buttons a row, 10 in all).

    Rows that fit are kept as they are. Otherwise a row of several buttons (the footer
    «Мои вопросы» · «Удалить мои данные») stays whole, and the rows of one button (a list
    of choices: the open hotlines) are packed several to a row, in order, and cut from the
    end when still too many. The message lists every choice with its number and a number
    typed in works as its button, so a choice left out loses nothing.
    """
    max_rows, per_row, total = INLINE_LIMITS if inline else REGULAR_LIMITS
    kept = [list(row[:per_row]) for row in rows if row]
    if len(kept) <= max_rows and sum(map(len, kept)) <= total:
        return kept
    whole = [row for row in kept if len(row) > 1][:max_rows]
    while sum(map(len, whole)) > total:
        whole.pop()
    room = max_rows - len(whole)
    singles = [row[0] for row in kept if len(row) == 1][: max(total - sum(map(len, whole)), 0)]
    packed: list[list[Button]] = []
    if singles and room > 0:
        width = min(-(-len(singles) // room), per_row)  # as few to a row as the rows allow
        packed = [singles[i : i + width] for i in range(0, len(singles), width)][:room]
    # The packed choices stand where the first of them stood.
    first = next((i for i, row in enumerate(kept) if len(row) == 1), len(kept))
    before = [row for row in kept[:first] if row in whole]
    return [*before, *packed, *(row for row in whole if row not in before)]


def keyboard_json(rows: Sequence[Sequence[Button]], *, inline: bool = True) -> str:
    """A keyboard within VK's limits (``fit``): callback buttons carry the server-side
    token, nothing else."""
    buttons = []
    for row in fit(rows, inline=inline):
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
