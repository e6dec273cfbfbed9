"""A message's ``format``: the visible text and its markup, as MAX stores and counts it.

MAX measures the 4,000-character limit on the text *after* the markup is parsed. HTML
knows b/strong, i/em, u/ins, s/del, a, code/pre, mark, blockquote, h1 (and br); any other
tag is dropped with its text kept. Markdown knows ``**bold**``, ``*italic*``/``_italic_``,
``~~strike~~``, ``++underline++``, ``` `code` ``` and ``[text](url)``.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

HTML_TAGS: dict[str, str] = {
    "b": "strong",
    "strong": "strong",
    "i": "emphasized",
    "em": "emphasized",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "del": "strikethrough",
    "a": "link",
    "code": "monospaced",
    "pre": "monospaced",
    "mark": "highlighted",
    "blockquote": "quote",
    "h1": "heading",
}


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.length = 0
        self.open: list[tuple[str, int, str | None]] = []
        self.markup: list[dict[str, Any]] = []
        self.unknown: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.handle_data("\n")
            return
        if tag not in HTML_TAGS:
            self.unknown.add(tag)
            return
        self.open.append((tag, self.length, dict(attrs).get("href")))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.open) - 1, -1, -1):
            name, start, href = self.open[index]
            if name != tag:
                continue
            del self.open[index]
            if self.length > start:
                element: dict[str, Any] = {
                    "type": HTML_TAGS[tag],
                    "from": start,
                    "length": self.length - start,
                }
                if tag == "a":
                    element["url"] = href or ""
                self.markup.append(element)
            return

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        self.length += len(data)


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Visible text and markup of an HTML-formatted text."""
    parser = _Html()
    parser.feed(source)
    parser.close()
    return "".join(parser.text), sorted(parser.markup, key=lambda m: (m["from"], -m["length"]))


_MD = re.compile(
    r"\*\*(?P<strong>.+?)\*\*|~~(?P<strike>.+?)~~|\+\+(?P<under>.+?)\+\+"
    r"|`(?P<mono>[^`]+)`|\[(?P<label>[^\]]+)\]\((?P<url>[^)\s]+)\)"
    r"|\*(?P<em1>[^*]+)\*|_(?P<em2>[^_]+)_",
    re.DOTALL,
)
_MD_TYPES = {
    "strong": "strong",
    "strike": "strikethrough",
    "under": "underline",
    "mono": "monospaced",
    "label": "link",
    "em1": "emphasized",
    "em2": "emphasized",
}


def parse_markdown(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Visible text and markup of a Markdown-formatted text (one level, no nesting)."""
    out: list[str] = []
    markup: list[dict[str, Any]] = []
    length = 0
    last = 0
    for found in _MD.finditer(source):
        out.append(source[last : found.start()])
        length += found.start() - last
        group = next(name for name in _MD_TYPES if found.group(name) is not None)
        inner = found.group(group)
        element: dict[str, Any] = {"type": _MD_TYPES[group], "from": length, "length": len(inner)}
        if group == "label":
            element["url"] = found.group("url")
        markup.append(element)
        out.append(inner)
        length += len(inner)
        last = found.end()
    out.append(source[last:])
    return "".join(out), markup


def visible(source: str | None, text_format: str | None) -> tuple[str, list[dict[str, Any]]]:
    """The text MAX shows (and counts) and its markup, for a ``format`` or plain text."""
    if source is None:
        return "", []
    if text_format == "html":
        return parse_html(source)
    if text_format == "markdown":
        return parse_markdown(source)
    return source, []
