"""Feed entries (feedparser's view of RSS 2.0, Atom, RDF) as items to draft posts from.

The body is the fullest text an item offers: the Yandex News ``full-text`` that 1C-Bitrix
sites export, then ``content:encoded`` / Atom content, then the ``description`` teaser.
Photos come from image enclosures, ``media:content`` and the full text's ``<img>``, in that
order, once each; ``media:thumbnail`` only when the item has no other picture (it is
usually a small copy of one of them). PDF and office files among the enclosures become
documents.

Each item is known by its guid, else its link, else its title; items of one feed that
share that key (two notices linking to the same news list, a guid used twice) are told
apart by their title or content (``_unique``). A feed that is not well-formed XML (a
``rss.php`` that died mid-output) is marked so: the planner then leaves the items it
already imported as they are, and the item the document ends in is left out (it may be
cut short).
"""

from __future__ import annotations

import codecs
import hashlib
import html
import json
import logging
import mimetypes
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urljoin, urlsplit
from xml.parsers import expat

import feedparser  # type: ignore[import-untyped]

from shared.posts.feed.html import html_to_doc
from shared.richtext import Block, Document, Span, dump, from_plain, join

log = logging.getLogger(__name__)
KEY_LIMIT = 512
_SUFFIX = 16  # hex digits of a hash told apart items sharing a key get after a "#"
_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp")
_DOCUMENT_TYPES = {
    "application/pdf",
    "application/msword",
    "application/rtf",
    "text/rtf",
    "application/vnd.ms-excel",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/zip",
}
_DOCUMENT_SUFFIXES = (".pdf", ".doc", ".docx", ".rtf", ".odt", ".xls", ".xlsx", ".ods", ".zip")


class NotAFeed(ValueError):
    """The answer could not be read as RSS or Atom at all."""


@dataclass(frozen=True)
class FeedItem:
    """One item of a feed, ready to become a post."""

    key: str
    title: str | None
    text: Document  # what the site wrote
    body: Document  # the post's body: the text and a link to the item
    link: str | None
    categories: tuple[str, ...]
    photos: tuple[str, ...]
    documents: tuple[str, ...]
    # Items of one feed that share a key (``_unique``): the keys the item may have been
    # remembered by, looked up before ``key``; and for the oldest of them, which keeps the
    # shared key, the key to remember it by when the shared one is another item's.
    also_known_as: tuple[str, ...] = ()
    own_key: str | None = None

    @property
    def content_hash(self) -> str:
        """What the site says in the item: a change here updates a draft."""
        data = json.dumps([self.title, dump(self.text)], ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(data.encode()).hexdigest()


@dataclass(frozen=True)
class Feed:
    """A feed's items, oldest first, and why it is not well-formed (None: it is)."""

    items: list[FeedItem]
    broken: str | None = None


def parse_feed(raw: bytes, feed_url: str, read_more: str, content_type: str = "") -> list[FeedItem]:
    """The feed's items, oldest first (feeds list the newest first)."""
    return read_feed(raw, feed_url, read_more, content_type).items


def read_feed(raw: bytes, feed_url: str, read_more: str, content_type: str = "") -> Feed:
    """The feed's items, oldest first (feeds list the newest first), and whether it is whole.

    The HTTP ``Content-Type`` is passed on: its charset counts when the XML declares none.
    CPU-bound (a large feed takes a while): call it in a thread.
    """
    headers = {"content-type": content_type} if content_type else {}
    parsed = feedparser.parse(raw, response_headers=headers)
    if parsed.bozo and not parsed.entries:
        raise NotAFeed(f"not a feed: {type(parsed.get('bozo_exception')).__name__}")
    broken = _not_well_formed(raw, parsed.get("encoding") or "") if parsed.bozo else None
    made: list[tuple[int, FeedItem]] = []  # in the document's order, by entry
    for index, entry in enumerate(parsed.entries):
        try:
            item = _item(entry, feed_url, read_more)
        except Exception as exc:  # one odd item must not stop the feed
            log.warning("feed: an item could not be read (%s: %s)", type(exc).__name__, exc)
            continue
        if item is not None:
            made.append((index, item))
    # Keys are told apart over every item, the one left out below included: an item's
    # key must not depend on whether the feed was cut this time.
    items = _unique([item for _, item in reversed(made)])
    if broken is not None and made and made[-1][0] == len(parsed.entries) - 1:
        items[0] = None  # the item the document ends in: a cut-off feed cut it short
    return Feed([item for item in items if item is not None], broken)


def _not_well_formed(raw: bytes, encoding: str) -> str | None:
    """Why the feed is not well-formed XML, or None when it is.

    feedparser says "bozo" for more than broken XML: a Content-Type that is not XML's, a
    charset the document contradicts, a namespace prefix never declared (some Bitrix sites
    forget ``xmlns:yandex``). Those feeds are whole; so the XML is read again, as the
    characters feedparser decoded and without namespaces, and only its own errors count.
    """
    try:
        text = raw.decode(codecs.lookup(encoding).name if encoding else "utf-8", "replace")
    except LookupError:
        text = raw.decode("utf-8", "replace")
    parser = expat.ParserCreate()  # no namespace processing: an undeclared prefix is fine
    try:
        parser.Parse(text, True)  # a str is read as UTF-8, whatever the declaration says
    except expat.ExpatError as exc:
        return str(exc)
    return None


def _suffixed(key: str, digest: str) -> str:
    return f"{told_apart(key)[0]}{digest[:_SUFFIX]}"


def told_apart(key: str) -> tuple[str, int]:
    """How the keys of items told apart from others sharing ``key`` begin, and their length."""
    prefix = key[: KEY_LIMIT - _SUFFIX - 1] + "#"
    return prefix, len(prefix) + _SUFFIX


def _unique(items: list[FeedItem]) -> list[FeedItem | None]:
    """The items (oldest first) with keys unique in the feed; None for an exact copy.

    Items sharing a key (no guid and the same link, or a guid used twice) are told apart
    in a way the next polls find again: the oldest keeps the key (as it was remembered
    before keys were told apart), each later one gets the key followed by its title's hash,
    or by its content's when another item of the key has the same title. Every item is
    looked up by those too: when the older ones leave the feed, the one that is now the
    oldest is found under the key it was first remembered by.
    """
    groups: dict[str, list[int]] = {}
    for index, item in enumerate(items):
        groups.setdefault(item.key, []).append(index)
    out: list[FeedItem | None] = list(items)
    for key, members in groups.items():
        titles = Counter(items[i].title for i in members)
        seen: set[str] = set()
        for index in members:
            item = items[index]
            if item.content_hash in seen:
                out[index] = None  # the same title and text again: nothing more to draft
                log.info("feed: item %r is given twice; the copy is skipped", key[:80])
                continue
            by_content = _suffixed(key, item.content_hash)
            by_title = _suffixed(key, hashlib.sha256((item.title or "").encode()).hexdigest())
            own = by_title if titles[item.title] == 1 else by_content
            aliases: tuple[str, ...]
            if not seen:  # the oldest
                aliases = (by_content, by_title) if own == by_title else (by_content,)
                out[index] = replace(item, also_known_as=aliases, own_key=own)
            else:
                aliases = (by_content,) if own == by_title else ()
                out[index] = replace(item, key=own, also_known_as=aliases)
            seen.add(item.content_hash)
    return out


def _item(entry: Any, feed_url: str, read_more: str) -> FeedItem | None:
    link = _absolute(feed_url, entry.get("link"))
    guid = str(entry.get("id") or "")
    if entry.get("link") == guid and urlsplit(guid).scheme not in {"http", "https"}:
        link = None  # feedparser made the link from a guid that is no address
    key = str(entry.get("id") or link or entry.get("title") or "").strip()[:KEY_LIMIT]
    if not key:
        return None
    base = link or feed_url
    text, inline_images = _body(entry, base)
    body = text
    if link:
        body = join(text, Document((Block("paragraph", (Span(read_more, link=link),)),)))
    photos, documents = _attachments(entry, base, inline_images)
    title = html.unescape(str(entry.get("title") or "")).strip() or None
    return FeedItem(
        key=key,
        title=title,
        text=text,
        body=body,
        link=link,
        categories=tuple(_categories(entry)),
        photos=tuple(photos),
        documents=tuple(documents),
    )


def _absolute(base: str, href: Any) -> str | None:
    if not href or not str(href).strip():
        return None
    url = urljoin(base, str(href).strip())
    return url if urlsplit(url).scheme in {"http", "https"} else None


def _full_text(entry: Any) -> str | None:
    """``yandex:full-text`` under whatever prefix the feed declared for the namespace."""
    for key, value in entry.items():
        if key.endswith("full-text") and isinstance(value, str) and value.strip():
            # An undeclared prefix makes feedparser's loose parser keep the markup escaped.
            return html.unescape(value) if "<" not in value and "&lt;" in value else value
    return None


def _body(entry: Any, base: str) -> tuple[Document, list[str]]:
    candidates: list[tuple[str, str]] = []
    full = _full_text(entry)
    if full:
        candidates.append((full, "text/html"))
    contents = sorted(entry.get("content") or [], key=lambda c: -len(c.get("value") or ""))
    candidates += [(c.get("value") or "", c.get("type") or "text/html") for c in contents]
    detail = entry.get("summary_detail") or {}
    candidates.append((entry.get("summary") or "", detail.get("type") or "text/html"))
    for text, kind in candidates:
        if not text.strip():
            continue
        if kind == "text/plain":
            doc, images = from_plain(text), list[str]()
        else:
            doc, images = html_to_doc(text, base)
        if not doc.is_empty() or images:
            return doc, images
    return Document(), []


def _is_image(url: str, mime: str) -> bool:
    if mime:
        return mime.startswith("image/")
    return urlsplit(url).path.lower().endswith(_IMAGE_SUFFIXES)


def _is_document(url: str, mime: str) -> bool:
    guessed = mimetypes.guess_type(urlsplit(url).path)[0] or ""
    return (
        mime in _DOCUMENT_TYPES
        or guessed in _DOCUMENT_TYPES
        or urlsplit(url).path.lower().endswith(_DOCUMENT_SUFFIXES)
    )


def _attachments(entry: Any, base: str, inline: Iterable[str]) -> tuple[list[str], list[str]]:
    photos: list[str] = []
    documents: list[str] = []

    def add(target: list[str], url: str | None) -> None:
        if url and url not in photos and url not in documents:
            target.append(url)

    for enclosure in entry.get("enclosures") or []:
        url = _absolute(base, enclosure.get("href") or enclosure.get("url"))
        mime = str(enclosure.get("type") or "").lower()
        if url and _is_image(url, mime):
            add(photos, url)
        elif url and _is_document(url, mime):
            add(documents, url)
    for media in entry.get("media_content") or []:
        url = _absolute(base, media.get("url"))
        mime = str(media.get("type") or "").lower()
        if url and (media.get("medium") == "image" or _is_image(url, mime)):
            add(photos, url)
    for url in inline:
        add(photos, url)
    if not photos:
        for thumb in entry.get("media_thumbnail") or []:
            add(photos, _absolute(base, thumb.get("url")))
    return photos, documents


def _categories(entry: Any) -> list[str]:
    names = []
    for tag in entry.get("tags") or []:
        name = str(tag.get("label") or tag.get("term") or "").strip()
        if name and name not in names:
            names.append(name)
    return names
