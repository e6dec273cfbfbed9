"""Poll the office's website feeds: new items become drafts, changed items update them.

Every feed is read with a conditional GET and remembered on its own: its validators, and
each item by its guid (else link) with the content it had. A new item's photos and
documents are downloaded before the post is written, outside any transaction. A broken
or unreachable feed is logged and read again at the next poll; it never stops the others.
A feed that is not well-formed XML (cut off mid-output) changes no item imported before,
and an item that comes with no text never empties a post that has one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import aiohttp
from sqlalchemy.ext.asyncio import AsyncConnection

from config.settings import PublishingSettings
from shared.domain import PostKind, PostStatus
from shared.errors import GlashataiError
from shared.posts import notices, repo, service
from shared.posts.feed import store
from shared.posts.feed.fetch import get_feed
from shared.posts.feed.parse import FeedItem, read_feed, told_apart
from shared.posts.feed.photos import Caps, collect
from shared.services import Services
from shared.storage import audit
from shared.storage.media import NewFile

log = logging.getLogger(__name__)

FETCH_TIMEOUT = 20.0
ACTOR = "feed"


def wanted(publishing: PublishingSettings, item: FeedItem) -> bool:
    """FEED_CATEGORIES (empty: every item) minus FEED_EXCLUDE_CATEGORIES, in any case."""
    names = {c.casefold() for c in item.categories}
    include = {c.casefold() for c in publishing.feed_categories}
    exclude = {c.casefold() for c in publishing.feed_exclude_categories}
    if include and not names & include:
        return False
    return not names & exclude


def kind_of(publishing: PublishingSettings, item: FeedItem) -> PostKind:
    """The kind FEED_CATEGORY_KINDS gives the item's first listed category, else a release."""
    kinds = {name.casefold(): kind for name, kind in publishing.feed_category_kinds.items()}
    for name in item.categories:
        if name.casefold() in kinds:
            return kinds[name.casefold()]
    return PostKind.PRESS_RELEASE


def safe_url(url: str) -> str:
    """The feed's address for a log line: no query string (it may carry a site's key)."""
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]  # no user:password either
    return f"{parts.scheme}://{host}{parts.path}"


class FeedPlanner:
    name = "feed"
    # It waits on the office's website: the scheduler does not hold the start up for it.
    reaches_out = True

    def __init__(self, services: Services) -> None:
        self.services = services
        self.next_poll: datetime | None = None
        self.failures = 0
        # The scheduler's sync and its wake-ups may call at once; a poll slower than the
        # interval must not run twice over the same items.
        self._polling = asyncio.Lock()

    @property
    def interval(self) -> timedelta:
        return timedelta(minutes=self.services.settings.publishing.feed_poll_minutes)

    async def run_due(self, now: datetime) -> None:
        if self._polling.locked() or (self.next_poll is not None and now < self.next_poll):
            return
        async with self._polling:
            self.next_poll = now + self.interval
            created = await self.poll()
        if created:
            log.info("feed: %d new item(s) imported", len(created))

    async def upcoming(self, now: datetime, until: datetime) -> Sequence[datetime]:
        if self.next_poll is not None and now < self.next_poll <= until:
            return [self.next_poll]
        return []

    async def poll(self) -> list[int]:
        """Read every feed; returns the new posts' ids."""
        created: list[int] = []
        failed = False
        for url in self.services.settings.publishing.feeds:
            try:
                created += await self.poll_feed(url)
            except Exception as exc:  # one broken feed must not stop the others or the app
                failed = True
                # A response error's text holds the full address, query string included.
                detail = (
                    f"HTTP {exc.status}"
                    if isinstance(exc, aiohttp.ClientResponseError)
                    else str(exc)[:200]
                )
                log.warning(
                    "feed: poll failed for %s (%s: %s); retrying in %s",
                    safe_url(url),
                    type(exc).__name__,
                    detail,
                    self.interval,
                )
        self.failures = self.failures + 1 if failed else 0
        return created

    async def poll_feed(self, url: str) -> list[int]:
        timeout = aiohttp.ClientTimeout(total=FETCH_TIMEOUT)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async with self.services.db.write() as conn:
                source = await store.source(conn, url)
            answer = await get_feed(session, url, source.etag, source.last_modified)
            created: list[int] = []
            validators = answer.etag, answer.last_modified
            if answer.body is not None:
                read_more = self.services.texts("posts.feed.read_more")
                publishing = self.services.settings.publishing
                # Parsing a large feed takes a while: not on the event loop.
                feed = await asyncio.to_thread(
                    read_feed, answer.body, url, read_more, answer.content_type
                )
                if feed.broken is not None:
                    # Read in full next time (no validators), however the site answers.
                    validators = None, None
                    log.warning(
                        "feed: %s is not well-formed XML (%s): items imported before are "
                        "left as they are, and its last item waits for a whole feed",
                        safe_url(url),
                        feed.broken[:200],
                    )
                for item in feed.items:
                    if wanted(publishing, item):
                        post_id = await self.take(
                            session, source.id, item, whole=feed.broken is None
                        )
                        if post_id is not None:
                            created.append(post_id)
            async with self.services.db.write() as conn:
                await store.set_validators(conn, source.id, *validators)
        self.services.wake_outbox()
        return created

    async def take(
        self, session: aiohttp.ClientSession, source_id: int, item: FeedItem, whole: bool = True
    ) -> int | None:
        """Draft a new item, or bring a known one up to date; the new post's id or None.

        From a feed that is not ``whole`` (not well-formed), a known item is left alone.
        """
        async with self.services.db.read() as conn:
            known, key = await self.known(conn, source_id, item)
            legacy = None if known or key != item.key else await repo.by_guid(conn, item.key)
        if known is not None:
            if whole and known.content_hash != item.content_hash:
                await self.changed(known, item)
            return None
        if legacy is not None:  # imported before feeds were remembered one by one
            async with self.services.db.write() as conn:
                await store.remember(conn, source_id, key, legacy, item.content_hash, [])
            return None
        publishing = self.services.settings.publishing
        platforms = service.configured_platforms(self.services.settings)
        caps = Caps.of(publishing, self.services.limits, platforms)
        files, missing = await collect(session, item, caps)
        accepted, refusals = self.accepting(platforms, item, files)
        async with self.services.db.write() as conn:
            if await store.known(conn, source_id, key) is not None:
                return None  # drafted meanwhile (another process on the same database)
            try:
                post_id = await service.create(
                    self.services,
                    title=item.title,
                    body=item.body,
                    kind=kind_of(publishing, item),
                    platforms=accepted or None,
                    created_by=ACTOR,
                    draft=not publishing.feed_autoschedule,
                    media=files,
                    source_url=item.link,
                    conn=conn,
                )
            except GlashataiError as exc:
                log.warning("feed: item %r skipped: %s", item.key[:80], exc)
                return None
            failed = [m.to_json() for m in missing] + [{"note": r} for r in refusals]
            await store.remember(conn, source_id, key, post_id, item.content_hash, failed)
            if missing:
                # The preview was queued before the missing files were stored: a newer
                # version makes the outbox hook redraw it, naming them, once it is sent.
                # (A platform left out is on it already: ``notices.left_out``.)
                post = await repo.get(conn, post_id)
                await repo.set_fields(conn, post_id, version=post.version + 1)
        return post_id

    async def known(
        self, conn: AsyncConnection, source_id: int, item: FeedItem
    ) -> tuple[store.Known | None, str]:
        """The item's record if it was imported before, and the key to remember it by if not.

        Items that share a key (``parse._unique``) are looked up by their own keys first.
        The oldest of them keeps the shared key; but once items of that key have been told
        apart in this feed, the record under it is this item's only if the content is the
        same (the site may have dropped that item and a new one has the same link).
        """
        for alias in item.also_known_as:
            found = await store.known(conn, source_id, alias)
            if found is not None:
                return found, alias
        found = await store.known(conn, source_id, item.key)
        if found is None or item.own_key is None or found.content_hash == item.content_hash:
            return found, item.key
        if await store.told_apart(conn, source_id, *told_apart(item.key)):
            return None, item.own_key
        return found, item.key

    def accepting(
        self, platforms: list[str], item: FeedItem, files: list[NewFile]
    ) -> tuple[list[str], list[str]]:
        """The platforms that take the item as it is, and why the others would refuse it.

        A site's article can be longer than a platform takes: the draft then goes to the
        other platforms and its preview says why, rather than the item being lost.
        """
        return service.fitting(self.services, platforms, item.title, item.body, files)

    async def changed(self, known: store.Known, item: FeedItem) -> None:
        """The site changed an item: a draft follows it, anything else is only reported."""
        t = self.services.texts
        title = item.title or item.key
        async with self.services.db.write() as conn:
            post = await repo.get(conn, known.post_id)
            if item.text.is_empty() and post.body.plain.strip() != item.body.plain.strip():
                # The site's item lost its text (a glitch far more often than a choice): the
                # post keeps its own, and the item counts as changed until it is back.
                log.info("feed: item %r came with no text; post %s kept", item.key[:80], post.id)
                return
            await store.set_hash(conn, known.id, item.content_hash)
            if post.status is PostStatus.CANCELLED:
                return
            if post.status is PostStatus.DRAFT:
                await repo.set_fields(
                    conn, post.id, title=item.title, body=item.body, version=post.version + 1
                )
                await audit.record(conn, ACTOR, "post.edit", "post", post.id, source="feed")
                post = await repo.get(conn, post.id)
                await notices.refresh_preview(self.services, conn, post, force=True)
                await notices.tell(self.services, conn, post, t("posts.feed.updated", title=title))
            else:
                status = t(f"posts.status.{post.status.value}")
                text = t(
                    "posts.feed.changed_published", title=title, status=status, link=item.link or ""
                )
                await notices.tell(self.services, conn, post, text.strip())
        log.info("feed: item %r changed on the site (post %s)", item.key[:80], post.id)
