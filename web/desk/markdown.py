"""The neutral rich text back to Markdown, so the editor can show a stored post for editing
and ``from_markdown`` reads it back as it was (bold, italic, links, lists, headings,
quotes). Markdown's own characters in the text are escaped: they stay characters."""

from __future__ import annotations

import re

from shared.richtext import Block, Document, Span, number

_SPECIAL = re.compile(r"([\\`*_\[\]<>#!|~&])")
# A list mark, or a line of - or = that would be a rule or underline a heading.
_LINE_START = re.compile(r"^(\s*)(?:([-+=])(?=[-=\s]|$)|(\d+)([.)])(?=\s|$))", re.MULTILINE)
# Spaces Markdown drops: at a paragraph's or a line's start or end.
_EDGE_SPACE = re.compile(r"^[ \t]+|[ \t]+$|[ \t]+(?=\n)|(?<=\n)[ \t]+")
_LINK_SPECIAL = re.compile(r"([\\<>&])")


def _escape_line_start(match: re.Match[str]) -> str:
    """``- `` and ``1. `` at a line's start would open a list: escape the mark.

    Only punctuation can be escaped in Markdown, so ``1. `` becomes ``1\\. `` (a backslash
    before the digit would stay in the text for readers).
    """
    indent, mark, digits, dot = match.groups()
    return f"{indent}\\{mark}" if mark else f"{indent}{digits}\\{dot}"


def _escape(text: str) -> str:
    text = _SPECIAL.sub(r"\\\1", text)
    return _LINE_START.sub(_escape_line_start, text)


def _destination(link: str) -> str:
    """A link address in ``<…>``, escaped so it reads back exactly as stored."""
    return "<" + _LINK_SPECIAL.sub(r"\\\1", link) + ">"


def _keep_spaces(match: re.Match[str]) -> str:
    """Spaces as character references: Markdown drops them at a line's edge (and four at a
    paragraph's start would make it code), while chat messages indent with them."""
    return "".join(f"&#{ord(c)};" for c in match.group())


def _span(span: Span) -> str:
    text = span.text
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()) :]
    core = _escape(text.strip())
    if not core:
        return text
    if span.italic:
        core = f"*{core}*"
    if span.bold:
        core = f"**{core}**"
    if span.link:
        core = f"[{core}]({_destination(span.link)})"
    return lead + core + trail


def _body(block: Block) -> str:
    """The block's spans, its line breaks as hard breaks and the spaces around them kept.

    An empty line inside a block (a site's ``<br><br>``) would end a Markdown paragraph, so
    such a block breaks its lines with a backslash: a line holding only ``\\`` is not
    blank, and reads back as the empty line it was.
    """
    text = _EDGE_SPACE.sub(_keep_spaces, "".join(_span(s) for s in block.spans))
    if "\n\n" in text:
        return text.replace("\n", "\\\n")
    return text.replace("\n", "  \n")


def _block(block: Block) -> str:
    body = _body(block)
    if block.kind == "heading":
        # A heading of several lines (a site's ``<h2>Внимание!<br>…</h2>``) as a setext
        # heading, the one Markdown heading that can hold line breaks.
        return f"{body}\n===" if "\n" in body else f"## {body}"
    if block.kind == "bullet":
        return f"- {body}"
    if block.kind == "ordered":
        return f"{number(block)}. {body}"
    if block.kind == "quote":
        return f"> {body}"
    return body


def to_markdown(doc: Document) -> str:
    out: list[str] = []
    prev: Block | None = None
    for block in doc.blocks:
        if prev is not None:
            same_list = prev.kind == block.kind and block.kind in {"bullet", "ordered"}
            out.append("\n" if same_list else "\n\n")
        out.append(_block(block))
        prev = block
    return "".join(out)
