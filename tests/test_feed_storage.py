"""The feeds' remembered state on both engines: validators, items by feed and key, notes."""

from __future__ import annotations

from shared.domain import PostKind, PostStatus
from shared.posts import repo
from shared.posts.feed import store
from shared.richtext import from_plain
from shared.storage.engine import Database


async def a_post(db: Database, title: str) -> int:
    async with db.write() as conn:
        return await repo.insert(
            conn,
            title=title,
            body=from_plain("текст"),
            kind=PostKind.PRESS_RELEASE,
            status=PostStatus.DRAFT,
            platforms=["telegram"],
            scheduled_at=None,
            created_by="feed",
        )


async def test_feed_state_per_feed(db: Database) -> None:
    first, second = await a_post(db, "один"), await a_post(db, "два")
    async with db.write() as conn:
        news = await store.source(conn, "https://town.example/news.rss")
        again = await store.source(conn, "https://town.example/news.rss")
        notices = await store.source(conn, "https://town.example/notices.rss")
        assert again == news
        assert notices.id != news.id
        assert (news.etag, news.last_modified) == (None, None)
        await store.set_validators(conn, news.id, '"v1"', "Mon, 30 Nov 2026 03:00:00 GMT")
        failed = [{"url": "https://town.example/a.jpg", "failure": "http", "detail": "404"}]
        await store.remember(conn, news.id, "1", first, "hash-1", failed)
        await store.remember(conn, notices.id, "1", second, "hash-2", [])
    async with db.write() as conn:
        news = await store.source(conn, "https://town.example/news.rss")
        assert (news.etag, news.last_modified) == ('"v1"', "Mon, 30 Nov 2026 03:00:00 GMT")
        known = await store.known(conn, news.id, "1")
        assert known is not None
        assert (known.post_id, known.content_hash) == (first, "hash-1")
        other = await store.known(conn, notices.id, "1")
        assert other is not None
        assert other.post_id == second, "the same guid in another feed is another item"
        assert await store.known(conn, news.id, "2") is None
        await store.set_hash(conn, known.id, "hash-3")
        assert await store.missing_files(conn, first) == failed
        assert await store.missing_files(conn, second) == []
    async with db.read() as conn:
        changed = await store.known(conn, news.id, "1")
        assert changed is not None
        assert changed.content_hash == "hash-3"
