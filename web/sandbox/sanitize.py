"""The bot's HTML messages (Telegram's HTML parse mode, MAX's html format) made safe to show.

The page shows them formatted, so it sets them as HTML: only the tags the platforms format
with are kept (without attributes, except a link's http(s)/tg/mailto address), and every
other tag, comment or declaration is shown as the text it is. A citizen's
``<img onerror=...>`` quoted by the bot therefore reaches the page as text, never as markup.
"""

from __future__ import annotations

from html import escape
from html.parser import HTMLParser

KEPT = frozenset({"b", "i", "u", "s", "a", "code", "pre", "blockquote"})
SAFE_LINKS = ("http://", "https://", "tg://", "mailto:")


class _Sanitiser(HTMLParser):
    """Rebuilds the markup from the kept tags, escaping everything else as text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in KEPT:
            self.out.append(escape(self.get_starttag_text() or ""))
            return
        self.open.append(tag)
        if tag == "a":
            href = dict(attrs).get("href") or ""
            if href.lower().startswith(SAFE_LINKS):
                link = escape(href, quote=True)
                self.out.append(f'<a href="{link}" rel="nofollow noopener noreferrer">')
                return
            self.out.append("<a>")
            return
        self.out.append(f"<{tag}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.append(escape(self.get_starttag_text() or ""))

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.open:
            self.out.append(escape(f"</{tag}>"))
            return
        while self.open:
            closed = self.open.pop()
            self.out.append(f"</{closed}>")
            if closed == tag:
                return

    def handle_data(self, data: str) -> None:
        self.out.append(escape(data))

    def handle_comment(self, data: str) -> None:
        self.out.append(escape(f"<!--{data}-->"))

    def handle_decl(self, decl: str) -> None:
        self.out.append(escape(f"<!{decl}>"))

    def handle_pi(self, data: str) -> None:
        self.out.append(escape(f"<?{data}>"))

    def unknown_decl(self, data: str) -> None:
        self.out.append(escape(f"<![{data}]>"))

    def result(self) -> str:
        self.close()
        return "".join(self.out) + "".join(f"</{tag}>" for tag in reversed(self.open))


def sanitise(html: str) -> str:
    """``html`` with only the kept tags left as markup (safe to set as innerHTML)."""
    parser = _Sanitiser()
    parser.feed(html)
    return parser.result()
