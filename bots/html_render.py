"""Neutral rich text to the HTML subset Telegram and MAX both take. Every piece of text is escaped.

Both keep b, i, a and blockquote, so only those are produced (headings in bold); each
platform's ``render`` module adds its own limits and chunking.
"""

from __future__ import annotations

from html import escape

from shared.richtext import Block, Document, Span, number


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
        return f"{number(block)}. {body}"
    if block.kind == "quote":
        return f"<blockquote>{body}</blockquote>"
    return body


def to_html(doc: Document) -> str:
    """One message's HTML; blocks are separated as in the plain rendering."""
    out: list[str] = []
    prev: Block | None = None
    for block in doc.blocks:
        if prev is not None:
            listy = {"bullet", "ordered"}
            out.append("\n" if prev.kind in listy and block.kind in listy else "\n\n")
        out.append(_block(block))
        prev = block
    return "".join(out)
