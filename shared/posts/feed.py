"""Import from the office's website: new feed items become drafts (or scheduled posts).

The feed is fetched with aiohttp and parsed with feedparser. A broken or unreachable
feed is logged and tried again at the next poll; it never stops anything else.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import feedparser  # type: ignore[import-untyped]

from shared.domain import PostKind
from shared.errors import GlashataiError
from shared.posts import service
from shared.posts.repo import by_guid
from shared.richtext import Block, Document, Span, from_plain, join
from shared.services import Services

log = logging.getLogger(__name__)

FETCH_TIMEOUT = 20.0
_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"(?i)<br\s*/?>|</p>|</div>|</li>")


def html_to_text(fragment: str) -> str:
    """A feed summary's HTML as literal text (feedparser has already sanitised it)."""
    text = _BREAK.sub("\n\n", fragment)
    return html.unescape(_TAG.sub("", text)).strip()


def entry_doc(entry: Any, read_more: str) -> Document:
    summary = entry.get("summary") or ""
    if entry.get("content"):
        summary = entry["content"][0].get("value") or summary
    body = from_plain(html_to_text(summary))
    link = entry.get("link")
    if link:
        body = join(body, Document((Block("paragraph", (Span(read_more, link=link),)),)))
    return body


class FeedPlanner:
    name = "feed"

    def __init__(self, services: Services) -> None:
        self.services = services
        self.next_poll: datetime | None = None
        self.failures = 0

    @property
    def interval(self) -> timedelta:
        return timedelta(minutes=self.services.settings.publishing.feed_poll_minutes)

    async def run_due(self, now: datetime) -> None:
        if self.next_poll is not None and now < self.next_poll:
            return
        self.next_poll = now + self.interval
        try:
            created = await self.poll()
        except Exception as exc:  # a feed must never take the app down
            self.failures += 1
            log.warning(
                "feed: poll failed (%s: %s); retrying in %s",
                type(exc).__name__,
                str(exc)[:200],
                self.interval,
            )
            return
        self.failures = 0
        if created:
            log.info("feed: %d new item(s) imported", len(created))

    async def upcoming(self, now: datetime, until: datetime) -> Sequence[datetime]:
        if self.next_poll is not None and now < self.next_poll <= until:
            return [self.next_poll]
        return []

    async def fetch(self) -> bytes:
        url = self.services.settings.publishing.feed_url
        assert url is not None
        timeout = aiohttp.ClientTimeout(total=FETCH_TIMEOUT)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(url) as response,
        ):
            response.raise_for_status()
            return await response.read()

    async def poll(self) -> list[int]:
        raw = await self.fetch()
        parsed = feedparser.parse(raw)
        if parsed.bozo and not parsed.entries:
            raise ValueError(f"not a feed: {parsed.get('bozo_exception')!r}")
        created: list[int] = []
        autoschedule = self.services.settings.publishing.feed_autoschedule
        read_more = self.services.texts("posts.feed.read_more")
        for entry in reversed(parsed.entries):
            guid = str(entry.get("id") or entry.get("link") or entry.get("title") or "")[:512]
            if not guid:
                continue
            async with self.services.db.write() as conn:
                if await by_guid(conn, guid) is not None:
                    continue
                try:
                    post_id = await service.create(
                        self.services,
                        title=(entry.get("title") or "").strip() or None,
                        body=entry_doc(entry, read_more),
                        kind=PostKind.PRESS_RELEASE,
                        created_by="feed",
                        draft=not autoschedule,
                        source_url=entry.get("link"),
                        source_guid=guid,
                        conn=conn,
                    )
                except GlashataiError as exc:
                    log.warning("feed: item %r skipped: %s", guid[:80], exc)
                    continue
            created.append(post_id)
        return created
