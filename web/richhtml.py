"""Rich text (``shared.richtext.Document``) as HTML for the web pages.

Every piece of text is escaped; links keep only http(s) and mailto addresses, so a
stored ``javascript:`` link is shown as text, never made clickable. Characters XML 1.0
forbids (the control characters Word pastes: U+000B is its soft line break, U+000C its
page break) are taken out of every text, so the same HTML is well-formed in the feeds.
"""

from __future__ import annotations

import re
from itertools import groupby

from markupsafe import Markup, escape

from shared.richtext import Block, Document, Span, number

SAFE_SCHEMES = ("http://", "https://", "mailto:")
LISTS = {"bullet": "ul", "ordered": "ol"}

# What XML 1.0 does not allow in a document (its Char production), and Word's breaks.
_FORBIDDEN = re.compile("[\x00-\x08\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_BREAKS = re.compile("[\x0b\x0c]")


def printable(text: str) -> str:
    """``text`` with every character XML 1.0 forbids gone; Word's soft line break (U+000B)
    and page break (U+000C) become line breaks."""
    return _FORBIDDEN.sub("", _BREAKS.sub("\n", text))


def span_html(span: Span) -> str:
    html = str(escape(printable(span.text)))
    if span.bold:
        html = f"<strong>{html}</strong>"
    if span.italic:
        html = f"<em>{html}</em>"
    link = printable(span.link) if span.link else None
    if link and link.lower().startswith(SAFE_SCHEMES):
        html = f'<a href="{escape(link)}" rel="nofollow noopener">{html}</a>'
    return html


def block_html(block: Block, heading_level: int) -> str:
    inner = "".join(span_html(span) for span in block.spans).replace("\n", "<br>")
    if block.kind == "heading":
        return f"<h{heading_level}>{inner}</h{heading_level}>"
    if block.kind == "quote":
        return f"<blockquote><p>{inner}</p></blockquote>"
    if block.kind in LISTS:
        return f"<li>{inner}</li>"
    return f"<p>{inner}</p>"


def _list_open(kind: str, first: Block) -> str:
    """``<ul>``, or ``<ol>`` starting at the first item's number (a list may resume at 3
    after a paragraph under item 2, or start at 0)."""
    start = number(first)
    return f'<ol start="{start}">' if kind == "ordered" and start != 1 else f"<{LISTS[kind]}>"


def to_html(doc: Document, heading_level: int = 2) -> Markup:
    """The document as HTML; its headings start at ``heading_level`` (the page has an h1)."""
    parts: list[str] = []
    for kind, group in groupby(doc.blocks, key=lambda b: b.kind):
        blocks = list(group)
        items = "".join(block_html(block, heading_level) for block in blocks)
        if kind in LISTS:
            items = f"{_list_open(kind, blocks[0])}{items}</{LISTS[kind]}>"
        parts.append(items)
    return Markup("\n".join(parts))  # noqa: S704 - every text above went through escape()


def excerpt(doc: Document, limit: int = 280) -> str:
    """The first words of the release as plain text, cut at a word boundary."""
    text = " ".join(printable(doc.plain).split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return f"{cut}…"
