"""Neutral rich text to Telegram's HTML parse mode. Every piece of text is escaped."""

from __future__ import annotations

from html import escape

from shared.richtext import Block, Document, Span, split, utf16_len

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024


def _span(span: Span) -> str:
    text = escape(span.text, quote=False)
    if span.italic:
        text = f"<i>{text}</i>"
    if span.bold:
        text = f"<b>{text}</b>"
    if span.link:
        text = f'<a href="{escape(span.link, quote=True)}">{text}</a>'
    return text


def _block(block: Block) -> str:
    body = "".join(_span(s) for s in block.spans)
    if block.kind == "heading":
        return f"<b>{body}</b>"
    if block.kind == "bullet":
        return f"• {body}"
    if block.kind == "ordered":
        return f"{block.number or 1}. {body}"
    if block.kind == "quote":
        return f"<blockquote>{body}</blockquote>"
    return body


def to_html(doc: Document) -> str:
    out: list[str] = []
    prev: Block | None = None
    for block in doc.blocks:
        if prev is not None:
            listy = {"bullet", "ordered"}
            out.append("\n" if prev.kind in listy and block.kind in listy else "\n\n")
        out.append(_block(block))
        prev = block
    return "".join(out)


def chunks(doc: Document, first_limit: int | None = None) -> list[str]:
    """HTML messages of at most 4096 visible characters; the first may be a caption."""
    return [to_html(part) for part in split(doc, TEXT_LIMIT, utf16_len, first_limit)]
