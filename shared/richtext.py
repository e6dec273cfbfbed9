"""The neutral form of formatted text: paragraphs, list items and headings made of spans.

Posts are stored in this form and each platform renders it its own way (Telegram HTML,
VK plain text). Citizen text enters it only as literal spans, so it can never become markup.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from markdown_it import MarkdownIt
from markdown_it.token import Token

BlockKind = Literal["paragraph", "heading", "bullet", "ordered", "quote"]


@dataclass(frozen=True)
class Span:
    text: str
    bold: bool = False
    italic: bool = False
    link: str | None = None


@dataclass(frozen=True)
class Block:
    kind: BlockKind
    spans: tuple[Span, ...]
    number: int | None = None

    @property
    def text(self) -> str:
        return "".join(span.text for span in self.spans)


def number(block: Block) -> int:
    """An ordered item's number as shown; a list may start at 0, only a missing one is 1."""
    return 1 if block.number is None else block.number


@dataclass(frozen=True)
class Document:
    blocks: tuple[Block, ...] = field(default_factory=tuple)

    @property
    def plain(self) -> str:
        return to_plain(self)

    def is_empty(self) -> bool:
        return not any(block.text.strip() for block in self.blocks)

    def to_json(self) -> str:
        return json.dumps(dump(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> Document:
        return load(json.loads(raw))


def dump(doc: Document) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for block in doc.blocks:
        item: dict[str, Any] = {
            "k": block.kind,
            "s": [
                {
                    "t": s.text,
                    **({"b": 1} if s.bold else {}),
                    **({"i": 1} if s.italic else {}),
                    **({"a": s.link} if s.link else {}),
                }
                for s in block.spans
            ],
        }
        if block.number is not None:
            item["n"] = block.number
        out.append(item)
    return out


def load(data: Sequence[dict[str, Any]]) -> Document:
    blocks = []
    for item in data:
        spans = tuple(
            Span(
                text=str(s["t"]),
                bold=bool(s.get("b")),
                italic=bool(s.get("i")),
                link=s.get("a"),
            )
            for s in item["s"]
        )
        blocks.append(Block(kind=item["k"], spans=spans, number=item.get("n")))
    return Document(tuple(blocks))


def paragraph(*spans: Span | str) -> Block:
    return Block("paragraph", tuple(Span(s) if isinstance(s, str) else s for s in spans))


def from_plain(text: str) -> Document:
    """Literal text: blank lines separate paragraphs, nothing is interpreted."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    parts = [p.strip("\n") for p in text.split("\n\n")]
    return Document(tuple(paragraph(p) for p in parts if p.strip()))


def _merge(spans: Iterable[Span]) -> tuple[Span, ...]:
    merged: list[Span] = []
    for span in spans:
        if not span.text:
            continue
        if merged and replace(merged[-1], text="") == replace(span, text=""):
            merged[-1] = replace(merged[-1], text=merged[-1].text + span.text)
        else:
            merged.append(span)
    return tuple(merged)


def _inline(token: Token) -> tuple[Span, ...]:
    spans: list[Span] = []
    bold = italic = 0
    links: list[str] = []
    for child in token.children or []:
        kind = child.type
        if kind == "strong_open":
            bold += 1
        elif kind == "strong_close":
            bold -= 1
        elif kind == "em_open":
            italic += 1
        elif kind == "em_close":
            italic -= 1
        elif kind == "link_open":
            links.append(str(child.attrs.get("href", "")))
        elif kind == "link_close":
            links.pop()
        elif kind in {"text", "code_inline", "html_inline"}:
            spans.append(Span(child.content, bold > 0, italic > 0, links[-1] if links else None))
        elif kind in {"softbreak", "hardbreak"}:
            spans.append(Span("\n", bold > 0, italic > 0, links[-1] if links else None))
        elif kind == "image":
            spans.append(Span(child.content or str(child.attrs.get("src", ""))))
    return _merge(spans)


_UNSAFE_IN_LINK = re.compile(r"[\x00-\x20\x7f]")


def _link_as_written(url: str) -> str:
    """A link's address as its writer typed it, only spaces and controls percent-encoded.

    markdown-it would punycode a Cyrillic host and percent-encode a Cyrillic path: the
    stored address would then differ from the one a moderator sent from the chat, and an
    unchanged save in the desk would look like an edit.
    """
    return _UNSAFE_IN_LINK.sub(lambda m: f"%{ord(m.group()):02X}", url)


_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")
_md.normalizeLink = _link_as_written  # type: ignore[method-assign]


def readable_link(url: str) -> str:
    """The human form of an address: Unicode host and path, as a reader would type it."""
    return _md.normalizeLinkText(url)


@dataclass
class _List:
    """An open Markdown list while parsing: its kind, the current item's number, and whether
    the item's first paragraph (the one that carries the bullet or number) is written."""

    kind: BlockKind
    counter: int
    item_started: bool = False


def _list_start(token: Token) -> int:
    start = token.attrs.get("start", 1)
    return int(start) if isinstance(start, int | str) else 1


def _text_block(spans: tuple[Span, ...], lists: list[_List], level: int, in_quote: int) -> Block:
    """The block of one paragraph's text.

    Only a list item's first paragraph is the item: a second paragraph under it (a step's
    explanation) is a plain paragraph, not another "1.".
    """
    if lists and level > 0 and not lists[-1].item_started:
        item = lists[-1]
        item.item_started = True
        return Block(item.kind, spans, item.counter if item.kind == "ordered" else None)
    return Block("quote" if in_quote else "paragraph", spans)


def from_markdown(source: str) -> Document:
    """Markdown (bold, italic, links, lists, headings) to the neutral form; HTML stays literal."""
    blocks: list[Block] = []
    lists: list[_List] = []
    in_quote = 0
    for token in _md.parse(source):
        t = token.type
        if t == "bullet_list_open":
            lists.append(_List("bullet", 0))
        elif t == "ordered_list_open":
            lists.append(_List("ordered", _list_start(token) - 1))
        elif t in {"bullet_list_close", "ordered_list_close"}:
            lists.pop()
        elif t == "list_item_open" and lists:
            lists[-1].counter += 1
            lists[-1].item_started = False
        elif t == "blockquote_open":
            in_quote += 1
        elif t == "blockquote_close":
            in_quote -= 1
        elif t == "inline":
            spans = _inline(token)
            if spans:
                blocks.append(_text_block(spans, lists, token.level, in_quote))
        elif t == "heading_close":
            if blocks:
                blocks[-1] = replace(blocks[-1], kind="heading")
        elif t in {"fence", "code_block"}:
            blocks.append(Block("paragraph", (Span(token.content.rstrip("\n")),)))
    return Document(tuple(blocks))


def _link_plain(span: Span) -> str:
    """The text, then the address in brackets unless the text already shows it.

    The text of an autolink is the readable form of an encoded address
    (``https://мэрия.рф`` for ``https://xn--...``), so both forms count as shown.
    """
    if not span.link or span.link in span.text or readable_link(span.link) in span.text:
        return span.text
    return f"{span.text} ({span.link})"


def block_plain(block: Block) -> str:
    text = "".join(_link_plain(s) for s in block.spans)
    if block.kind == "bullet":
        return f"• {text}"
    if block.kind == "ordered":
        return f"{number(block)}. {text}"
    return text


def _separator(prev: Block, block: Block) -> str:
    listy = {"bullet", "ordered"}
    return "\n" if prev.kind in listy and block.kind in listy else "\n\n"


def to_plain(doc: Document) -> str:
    """Plain text with links written out: what VK and other markup-less platforms show."""
    out: list[str] = []
    prev: Block | None = None
    for block in doc.blocks:
        if prev is not None:
            out.append(_separator(prev, block))
        out.append(block_plain(block))
        prev = block
    return "".join(out)


def join(*docs: Document) -> Document:
    return Document(tuple(b for d in docs for b in d.blocks))


def utf16_len(text: str) -> int:
    """Telegram measures text in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _prefix(block: Block) -> str:
    if block.kind == "bullet":
        return "• "
    if block.kind == "ordered":
        return f"{number(block)}. "
    return ""


def visible_length(doc: Document, length: Callable[[str], int] = len) -> int:
    """Length of what a reader sees (tags and link targets of rendered markup excluded)."""
    total = 0
    prev: Block | None = None
    for block in doc.blocks:
        if prev is not None:
            total += length(_separator(prev, block))
        total += length(_prefix(block) + block.text)
        prev = block
    return total


_SENTENCE_END = re.compile(r"[.!?…](?=\s)|\n")


def _cut_point(text: str, budget: int, length: Callable[[str], int]) -> int:
    """The best place at or before ``budget`` units: a line, a sentence, a word, else hard."""
    hard = 0
    low, high = 0, len(text)
    while low < high:
        mid = (low + high + 1) // 2
        if length(text[:mid]) <= budget:
            low = mid
        else:
            high = mid - 1
    hard = low
    if hard >= len(text):
        return len(text)
    window = text[:hard]
    newline = window.rfind("\n")
    if newline > hard // 2:
        return newline + 1
    sentences = [m.end() for m in _SENTENCE_END.finditer(window)]
    if sentences and sentences[-1] > hard // 2:
        return sentences[-1]
    space = window.rfind(" ")
    if space > 0:
        return space + 1
    return max(hard, 1)


def _slice_spans(spans: Sequence[Span], start: int, end: int) -> tuple[Span, ...]:
    out: list[Span] = []
    offset = 0
    for span in spans:
        lo, hi = offset, offset + len(span.text)
        offset = hi
        a, b = max(lo, start), min(hi, end)
        if a < b:
            out.append(replace(span, text=span.text[a - lo : b - lo]))
    return tuple(out)


def _split_block(block: Block, limit: int, length: Callable[[str], int]) -> list[Block]:
    text = block.text
    prefix = length(_prefix(block))
    parts: list[Block] = []
    start = 0
    while start < len(text):
        cut = start + _cut_point(text[start:], limit - prefix, length)
        spans = _slice_spans(block.spans, start, cut)
        if "".join(s.text for s in spans).strip():
            stripped = _strip_edges(spans)
            parts.append(replace(block, spans=stripped))
        start = cut
        if parts and block.kind in {"bullet", "ordered"}:
            block = replace(block, kind="paragraph", number=None)
            prefix = 0
    return parts


def _strip_edges(spans: tuple[Span, ...]) -> tuple[Span, ...]:
    items = list(spans)
    while items and not items[0].text.strip():
        items.pop(0)
    while items and not items[-1].text.strip():
        items.pop()
    if items:
        items[0] = replace(items[0], text=items[0].text.lstrip())
        items[-1] = replace(items[-1], text=items[-1].text.rstrip())
    return tuple(items)


def split(
    doc: Document,
    limit: int,
    length: Callable[[str], int] = len,
    first_limit: int | None = None,
) -> list[Document]:
    """Cut a document into pieces of at most ``limit`` visible units each.

    Cuts fall between blocks, else at a line or sentence end, else between words; only a
    single word longer than the limit is cut inside. Formatting is kept on both sides of
    a cut, so rendered markup always stays balanced. ``first_limit`` serves a caption.
    """
    pieces: list[Document] = []
    current: list[Block] = []
    budget = first_limit if first_limit is not None else limit

    def flush() -> None:
        nonlocal current, budget
        if current:
            pieces.append(Document(tuple(current)))
            current = []
            budget = limit

    queue = list(doc.blocks)
    while queue:
        block = queue.pop(0)
        candidate = Document((*current, block))
        if visible_length(candidate, length) <= budget:
            current.append(block)
            continue
        if current:
            flush()
            queue.insert(0, block)
            continue
        parts = _split_block(block, budget, length)
        current.append(parts[0])
        flush()
        queue[0:0] = parts[1:]
    flush()
    return pieces
