"""How each platform will show a post, from the platforms' own renderers.

Platforms are found, not listed: any package under ``bots/`` with a ``preview`` module
(``parts(doc, photos, documents) -> list[Part]``) takes part, under the package's ``NAME``.
A renderer's HTML is its platform's markup; before it reaches the page it is rebuilt from
a short allowlist of tags, and everything else is text.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from html import escape
from html.parser import HTMLParser
from types import ModuleType

from shared.richtext import Document


@dataclass(frozen=True)
class Part:
    """One message (or caption) as the platform will show it."""

    body: str
    html: bool  # ``body`` is the platform's HTML (else plain text)
    caption: bool = False  # the text rides on the first photo as its caption


@dataclass(frozen=True)
class Shown:
    platform: str
    parts: list[Part]


def modules() -> dict[str, ModuleType]:
    """Each platform's preview module, by the platform's name (its package's ``NAME``)."""
    import bots

    found = {}
    for info in sorted(pkgutil.iter_modules(bots.__path__), key=lambda i: i.name):
        if not info.ispkg:
            continue
        try:
            module = importlib.import_module(f"bots.{info.name}.preview")
        except ModuleNotFoundError as exc:
            if exc.name != f"bots.{info.name}.preview":
                raise
            continue
        found[importlib.import_module(f"bots.{info.name}").NAME] = module
    return found


def previews(doc: Document, platforms: list[str], photos: int, documents: int) -> list[Shown]:
    return [
        Shown(name, module.parts(doc, photos, documents))
        for name, module in modules().items()
        if name in platforms
    ]


ALLOWED = {"b", "strong", "i", "em", "u", "s", "code", "pre", "blockquote", "a"}
SAFE_SCHEMES = ("http://", "https://", "mailto:", "tg://")


class _Clean(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED:
            return
        if tag == "a":
            href = dict(attrs).get("href") or ""
            if not href.lower().startswith(SAFE_SCHEMES):
                self.out.append("<a>")
            else:
                self.out.append(f'<a href="{escape(href, quote=True)}" rel="nofollow noopener">')
        else:
            self.out.append(f"<{tag}>")
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in ALLOWED and tag in self.open:
            while self.open:
                last = self.open.pop()
                self.out.append(f"</{last}>")
                if last == tag:
                    break

    def handle_data(self, data: str) -> None:
        self.out.append(escape(data, quote=False))


def clean(html: str) -> str:
    """Platform HTML for our page: allowlisted tags, safe links, the rest escaped text."""
    parser = _Clean()
    parser.feed(html)
    parser.close()
    parser.out.extend(f"</{tag}>" for tag in reversed(parser.open))
    return "".join(parser.out)
