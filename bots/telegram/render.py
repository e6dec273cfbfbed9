"""Neutral rich text to Telegram's HTML parse mode. Every piece of text is escaped."""

from __future__ import annotations

from bots.html_render import to_html as to_html  # re-exported: the sender and preview use it
from shared.richtext import Document, split, utf16_len

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024


def chunks(doc: Document, first_limit: int | None = None) -> list[str]:
    """HTML messages of at most 4096 visible characters; the first may be a caption."""
    return [to_html(part) for part in split(doc, TEXT_LIMIT, utf16_len, first_limit)]
