"""Neutral rich text to MAX's HTML subset (``format: "html"``). Every piece of text is escaped.

MAX keeps b/strong, i/em, u/ins, s/del, a, code/pre, mark, blockquote and h1 and strips any
other tag, so only b, i, a and blockquote are produced (headings in bold, as on Telegram).
MAX counts its 4,000-character limit on the visible text; maxapi 1.2 refuses a text of
4,000 characters *with* its markup before sending, so every chunk keeps both under it.
"""

from __future__ import annotations

from bots.html_render import to_html
from shared.richtext import Block, Document, split, visible_length

TEXT_LIMIT = 4000
# maxapi checks ``len(text) < 4000`` on the raw HTML.
MARKUP_LIMIT = 3999


def _head(piece: Document) -> tuple[Document, list[Block]]:
    """The longest leading part of ``piece`` whose HTML maxapi takes, and the blocks left."""
    budget = visible_length(piece)
    while True:
        head, *rest = split(piece, budget)
        html = to_html(head)
        shown = visible_length(head)
        if len(html) <= MARKUP_LIMIT or shown <= 1:
            return head, [block for part in rest for block in part.blocks]
        budget = max(min(budget - 1, shown * MARKUP_LIMIT // len(html)), 1)


def chunks(doc: Document) -> list[str]:
    """HTML messages within MAX's 4,000 visible characters and maxapi's 3,999 with markup.

    Cuts fall between paragraphs, else at a line or sentence end, else between words; what
    markup pushes out of one message starts the next.
    """
    out: list[str] = []
    blocks = doc.blocks
    while blocks:
        pieces = split(Document(blocks), min(TEXT_LIMIT, MARKUP_LIMIT))
        if not pieces:
            break
        head, left = _head(pieces[0])
        out.append(to_html(head))
        blocks = (*left, *(block for part in pieces[1:] for block in part.blocks))
    return out
