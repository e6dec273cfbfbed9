"""The neutral rich text back to Markdown, so the editor can show a stored post for editing
and ``from_markdown`` reads it back as it was (bold, italic, links, lists, headings,
quotes). Markdown's own characters in the text are escaped: they stay characters."""

from __future__ import annotations

import re

from shared.richtext import Block, Document, Span

_SPECIAL = re.compile(r"([\\`*_\[\]<>#!|~&])")
_LINE_START = re.compile(r"^(\s*)([-+=]|\d+[.)])(?=\s|$)", re.MULTILINE)


def _escape(text: str) -> str:
    text = _SPECIAL.sub(r"\\\1", text)
    return _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)


def _span(span: Span) -> str:
    text = span.text
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()) :]
    core = _escape(text.strip())
    if not core:
        return text.replace("\n", "  \n")
    if span.italic:
        core = f"*{core}*"
    if span.bold:
        core = f"**{core}**"
    if span.link:
        core = f"[{core}](<{span.link.replace('>', '%3E')}>)"
    return (lead + core + trail).replace("\n", "  \n")


def _block(block: Block) -> str:
    body = "".join(_span(s) for s in block.spans)
    if block.kind == "heading":
        return f"## {body}"
    if block.kind == "bullet":
        return f"- {body}"
    if block.kind == "ordered":
        return f"{block.number or 1}. {body}"
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
