"""Telegram message text with entities to the neutral rich text.

Entity offsets and lengths are in UTF-16 code units, so the text is cut in that unit
(an emoji before a bold word must not shift the bold by one).
"""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import MessageEntity

from shared.richtext import Block, Document, Span, _merge

STYLES = {"bold", "italic", "text_link", "url"}


def to_document(text: str | None, entities: Sequence[MessageEntity] | None) -> Document:
    """Paragraphs at blank lines; bold, italic and links kept; everything else literal."""
    if not text:
        return Document()
    units = text.encode("utf-16-le")
    total = len(units) // 2
    marks: list[tuple[bool, bool, str | None]] = [(False, False, None)] * total
    for entity in entities or []:
        if entity.type not in STYLES:
            continue
        start, end = entity.offset, min(total, entity.offset + entity.length)
        for i in range(start, end):
            bold, italic, link = marks[i]
            if entity.type == "bold":
                bold = True
            elif entity.type == "italic":
                italic = True
            elif entity.type == "text_link":
                link = entity.url
            elif entity.type == "url":
                link = units[start * 2 : end * 2].decode("utf-16-le", errors="replace")
            marks[i] = (bold, italic, link)
    spans: list[Span] = []
    i = 0
    while i < total:
        j = i + 1
        while j < total and marks[j] == marks[i]:
            j += 1
        piece = units[i * 2 : j * 2].decode("utf-16-le", errors="surrogatepass")
        bold, italic, link = marks[i]
        spans.append(Span(piece, bold, italic, link))
        i = j
    return _paragraphs(spans)


def _paragraphs(spans: Sequence[Span]) -> Document:
    blocks: list[Block] = []
    current: list[Span] = []

    def flush() -> None:
        merged = _merge(current)
        text = "".join(s.text for s in merged)
        if text.strip():
            blocks.append(Block("paragraph", _strip(merged)))
        current.clear()

    for span in spans:
        parts = span.text.replace("\r\n", "\n").split("\n\n")
        for index, part in enumerate(parts):
            if index > 0:
                flush()
            if part:
                current.append(Span(part, span.bold, span.italic, span.link))
    flush()
    return Document(tuple(blocks))


def _strip(spans: tuple[Span, ...]) -> tuple[Span, ...]:
    items = list(spans)
    while items and not items[0].text.strip("\n"):
        items.pop(0)
    while items and not items[-1].text.strip("\n"):
        items.pop()
    if items:
        first, last = items[0], items[-1]
        items[0] = Span(first.text.lstrip("\n"), first.bold, first.italic, first.link)
        last = items[-1]
        items[-1] = Span(last.text.rstrip("\n"), last.bold, last.italic, last.link)
    return tuple(items)


def strip_command(
    text: str, entities: Sequence[MessageEntity] | None
) -> tuple[str, list[MessageEntity]]:
    """The text after a leading ``/command``, with the entities moved to match."""
    if not text.startswith("/"):
        return text, list(entities or [])
    head = text.split(maxsplit=1)[0]
    rest = text[len(head) :]
    stripped = rest.lstrip()
    cut = len(text) - len(stripped)
    shift = len(text[:cut].encode("utf-16-le")) // 2
    moved: list[MessageEntity] = []
    for entity in entities or []:
        if entity.type == "bot_command":
            continue
        end = entity.offset + entity.length
        if end <= shift:
            continue
        start = max(entity.offset, shift)
        moved.append(entity.model_copy(update={"offset": start - shift, "length": end - start}))
    return stripped, moved
