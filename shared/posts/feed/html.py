"""A feed item's HTML as the neutral rich text, and the pictures it shows.

Sites put whole articles in their feeds as HTML: paragraphs, links, bold and italic, lists,
headings, tables, ``<br>`` and ``<img>``. lxml reads it as a browser would (broken markup
included); we keep what our rich text can carry and collect the pictures' addresses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.html  # type: ignore[import-untyped]

from shared.richtext import Block, BlockKind, Document, Span

_SPACE = re.compile(r"\s+")
# C0 controls but tab, line feed and carriage return; DEL and the C1 block (lxml refuses
# them and no platform shows them).
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")
_SKIP = {"script", "style", "noscript", "iframe", "object", "embed", "template", "head", "svg"}
_BLOCK = {
    "p", "div", "section", "article", "header", "footer", "aside", "main", "figure",
    "figcaption", "center", "address", "pre", "dl", "dt", "dd", "table", "thead", "tbody",
    "tfoot", "caption", "form", "fieldset", "hr",
}  # fmt: skip
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_BOLD = {"b", "strong"}
_ITALIC = {"i", "em", "cite"}
_LINK_SCHEMES = {"http", "https", "mailto", "tel"}


@dataclass
class _Style:
    bold: bool = False
    italic: bool = False
    link: str | None = None


@dataclass
class _Builder:
    """Collects spans into blocks while walking the tree."""

    base: str
    blocks: list[Block] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    spans: list[Span] = field(default_factory=list)
    kind: BlockKind = "paragraph"
    number: int | None = None

    def text(self, text: str, style: _Style) -> None:
        text = _SPACE.sub(" ", text)
        if text:
            self.spans.append(Span(text, style.bold, style.italic, style.link))

    def newline(self, style: _Style) -> None:
        self.spans.append(Span("\n", style.bold, style.italic, style.link))

    def close(self, keep: bool = False) -> None:
        """End the block being written (if it has any text) and start a paragraph.

        ``keep``: a block with no text yet keeps its kind (``<li><p>…</p></li>`` is a list
        item, not a paragraph).
        """
        spans = _tidy(self.spans)
        self.spans = []
        if spans:
            self.blocks.append(Block(self.kind, spans, self.number))
        elif keep:
            return
        self.kind, self.number = "paragraph", None

    def open(self, kind: BlockKind, number: int | None = None) -> None:
        self.close()
        self.kind, self.number = kind, number

    def image(self, src: str | None) -> None:
        url = _absolute(self.base, src)
        if url and url not in self.images:
            self.images.append(url)


def _absolute(base: str, href: str | None) -> str | None:
    """An absolute http(s)/mailto address, or None for anything else (javascript:, data:)."""
    if not href or not href.strip():
        return None
    url = urljoin(base, href.strip())
    return url if urlsplit(url).scheme in _LINK_SCHEMES else None


def _tidy(spans: list[Span]) -> tuple[Span, ...]:
    """Merge neighbours of one style, drop spaces around line breaks and at the edges."""
    merged: list[Span] = []
    for span in spans:
        if merged and replace(merged[-1], text="") == replace(span, text=""):
            merged[-1] = replace(merged[-1], text=merged[-1].text + span.text)
        else:
            merged.append(span)
    out = [replace(s, text=re.sub(r" *\n *", "\n", s.text)) for s in merged]
    while out and not out[0].text.strip():
        out.pop(0)
    while out and not out[-1].text.strip():
        out.pop()
    if not out:
        return ()
    out[0] = replace(out[0], text=out[0].text.lstrip())
    out[-1] = replace(out[-1], text=out[-1].text.rstrip())
    return tuple(s for s in out if s.text)


def _walk(node: Any, out: _Builder, style: _Style, lists: list[list[int]]) -> None:
    tag = node.tag.lower() if isinstance(node.tag, str) else ""
    if tag in _SKIP or not isinstance(node.tag, str):
        return
    inner = style
    if tag in _BOLD or tag == "th":
        inner = replace(inner, bold=True)
    if tag in _ITALIC:
        inner = replace(inner, italic=True)
    if tag == "a":
        inner = replace(inner, link=_absolute(out.base, node.get("href")) or style.link)
    if tag == "img":
        out.image(node.get("src") or node.get("data-src"))
        return
    if tag == "br":
        out.newline(style)
        return
    if tag in {"ul", "ol"}:
        out.close()
        start = node.get("start")
        first = int(start) if tag == "ol" and start and start.isascii() and start.isdigit() else 1
        lists.append([first - 1] if tag == "ol" else [])
    elif tag == "li":
        counter = lists[-1] if lists else []
        if counter:
            counter[0] += 1
            out.open("ordered", counter[0])
        else:
            out.open("bullet")
    elif tag in _HEADINGS:
        out.open("heading")
    elif tag == "blockquote":
        out.open("quote")
    elif tag in _BLOCK or tag == "tr":
        out.close(keep=True)
    elif tag in {"td", "th"} and out.spans:
        out.text(" | ", style)
    if node.text:
        out.text(node.text, inner)
    for child in node:
        _walk(child, out, inner, lists)
        if child.tail:
            out.text(child.tail, inner)
    if tag in {"ul", "ol"}:
        out.close()
        lists.pop()
    elif tag in _BLOCK or tag in _HEADINGS or tag in {"li", "blockquote", "tr"}:
        out.close()


def html_to_doc(fragment: str, base: str) -> tuple[Document, list[str]]:
    """The fragment as rich text, and the absolute addresses of its pictures in order."""
    out = _Builder(base=base)
    fragment = _CONTROL.sub("", fragment.replace("\x0b", " ").replace("\x0c", " "))
    if fragment.strip():
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
        _walk(root, out, _Style(), [])
    out.close()
    return Document(tuple(out.blocks)), out.images
