"""The desk's reads and its login storage on both engines: posts in a period with their
per-platform states, outbox health, one-time links and sessions."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from shared.clock import utcnow
from shared.domain import OutboxAction, OutboxState, PostKind, PostStatus
from shared.domain import PublicationState as PubState
from shared.outbox import health, store
from shared.outbox.model import OutboxMessage
from shared.outbox.payload import message
from shared.posts import repo
from shared.richtext import from_plain
from shared.services import Services
from shared.storage.engine import Database
from shared.texts import Texts
from tests.harness import settings_for
from web.desk import links, queries, sessions
from web.desk.states import DeskState


async def _post(db: Database, when_days: float | None, status: PostStatus) -> int:
    async with db.write() as conn:
        return await repo.insert(
            conn,
            title=f"post {when_days}",
            body=from_plain("text"),
            kind=PostKind.PRESS_RELEASE,
            status=status,
            platforms=["telegram", "vk"],
            scheduled_at=None if when_days is None else utcnow() + timedelta(days=when_days),
            created_by="test",
        )


async def test_entries_in_a_period_with_states(db: Database) -> None:
    now = utcnow()
    inside = await _post(db, 1, PostStatus.SCHEDULED)
    await _post(db, 10, PostStatus.SCHEDULED)
    draft = await _post(db, None, PostStatus.DRAFT)
    sent = await _post(db, -0.5, PostStatus.PARTLY_PUBLISHED)
    async with db.write() as conn:
        tg = await repo.ensure_publication(conn, sent, "telegram")
        vk = await repo.ensure_publication(conn, sent, "vk")
        await repo.set_publication(conn, tg.id, state=PubState.PUBLISHED, url="https://t.me/x/1")
        await repo.set_publication(conn, vk.id, state=PubState.FAILED, error="refused")
    async with db.read() as conn:
        found = await queries.entries(conn, now - timedelta(days=1), now + timedelta(days=2))
    by_id = {e.post.id: e for e in found}
    assert set(by_id) == {inside, draft, sent}
    assert next(e.post.id for e in found) == sent  # in time order
    assert [line.state for line in by_id[sent].lines] == [DeskState.SENT, DeskState.FAILED]
    assert [line.state for line in by_id[draft].lines] == [DeskState.DRAFT] * 2
    assert by_id[inside].when.tzinfo is not None


async def test_a_published_post_is_on_the_day_it_went_out(db: Database) -> None:
    """Planned for ten days ahead and published now: the calendar has it now, not on the
    day it was planned for; its page says when it went out and when it had been planned."""
    now = utcnow()
    early = await _post(db, 10, PostStatus.SCHEDULED)
    on_time = await _post(db, -0.5, PostStatus.SCHEDULED)
    async with db.write() as conn:
        await repo.set_fields(conn, early, status=PostStatus.PUBLISHED, published_at=now)
        post = await repo.get(conn, on_time)
        assert post.scheduled_at is not None
        await repo.set_fields(
            conn, on_time, status=PostStatus.PUBLISHED, published_at=post.scheduled_at
        )
    async with db.read() as conn:
        today = await queries.entries(conn, now - timedelta(days=1), now + timedelta(days=1))
        planned_day = await queries.entries(conn, now + timedelta(days=9), now + timedelta(days=11))
        view = await queries.post_view(conn, early)
        on_time_view = await queries.post_view(conn, on_time)
    assert {e.post.id for e in today} == {early, on_time}
    assert planned_day == []
    assert abs(view.entry.when - now) < timedelta(seconds=1)
    assert view.entry.planned is not None
    assert view.entry.planned - now > timedelta(days=9)
    assert on_time_view.entry.planned is None  # it went out when planned: nothing to add


async def test_outbox_health(db: Database) -> None:
    async with db.write() as conn:
        first = await store.enqueue(
            conn,
            OutboxMessage(
                platform="telegram",
                action=OutboxAction.SEND,
                destination="1",
                payload=message(from_plain("a")),
            ),
        )
        await store.enqueue(
            conn,
            OutboxMessage(
                platform="vk",
                action=OutboxAction.SEND,
                destination="2",
                payload=message(from_plain("b")),
            ),
        )
        claimed = await store.claim(conn, first)
        assert claimed is not None
        await store.finish(conn, first, OutboxState.FAILED, error="Bad Request: secret")
    async with db.read() as conn:
        counts = await health.counts(conn)
        oldest = await health.oldest_waiting(conn)
        problems = await health.last_errors(conn)
    assert counts == {("telegram", OutboxState.FAILED): 1, ("vk", OutboxState.PENDING): 1}
    assert oldest is not None
    assert oldest.tzinfo is not None
    assert [(p.id, p.error) for p in problems] == [(first, "Bad Request: secret")]


async def test_links_and_sessions(db: Database, tmp_path: Path) -> None:
    services = Services(settings=settings_for(tmp_path), db=db, texts=Texts.load())
    owner = links.Owner(user_id=5001, actor="tg:5001", name="Мария")
    async with db.write() as conn:
        tokens = [await links.issue(conn, owner) for _ in range(links.LINKS_PER_TTL + 1)]
    assert tokens[-1] is None
    assert all(tokens[:-1])
    token = tokens[0]
    assert token is not None
    assert await links.valid(services, token)
    session = await sessions.login(services, token)
    assert session is not None
    assert session.owner == owner
    assert await sessions.login(services, token) is None  # spent
    assert not await links.valid(services, token)
    loaded = await sessions.load(services, session.raw_id)
    assert loaded is not None
    assert loaded.owner.actor == "tg:5001"
    await sessions.end(services, session)
    assert await sessions.load(services, session.raw_id) is None
