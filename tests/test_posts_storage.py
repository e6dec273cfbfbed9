"""The post repository and planner on both engines: due posts, dedupe, missed, quiet hours."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from shared.clock import utcnow
from shared.domain import OutboxAction, PostKind, PostStatus, PublicationState
from shared.outbox import store
from shared.posts import repo, service
from shared.posts.model import REF_NOTICE, REF_PUBLICATION
from shared.posts.planner import PostPlanner
from shared.richtext import from_plain
from shared.services import Services
from shared.storage.engine import Database
from shared.texts import Texts
from simulators.telegram import FakeTelegram
from simulators.vk import FakeVK
from tests.harness import settings_for


def services_on(db: Database, tmp_path: Path, **publishing: object) -> Services:
    # The fakes only lend their addresses and tokens to the settings: nothing is sent.
    with FakeTelegram() as tg, FakeVK() as vk:
        settings = settings_for(
            tmp_path,
            tg,
            vk,
            overrides={
                "publishing": {"quiet_hours_start": None, "quiet_hours_end": None, **publishing}
            },
        )
    return Services(settings=settings, db=db, texts=Texts.load())


async def test_a_post_is_enqueued_once_per_platform(db: Database, tmp_path: Path) -> None:
    services = services_on(db, tmp_path)
    post_id = await service.create_post(
        services, body=from_plain("Один раз."), created_by="test", kind=PostKind.NOTICE
    )
    async with db.write() as conn:
        post = await repo.get(conn, post_id)
        await service.publish(services, conn, post)  # a second call changes nothing
        pubs = await repo.publications_of(conn, post_id)
        rows = [i for p in pubs for i in await store.by_ref(conn, REF_PUBLICATION, p.id)]
        notices = await store.by_ref(conn, REF_NOTICE, post_id)
    assert post.status is PostStatus.PUBLISHING
    assert sorted(p.platform for p in pubs) == ["telegram", "vk"]
    assert all(p.state is PublicationState.PENDING for p in pubs)
    # Every platform's send goes to "the office channel"; each sender knows which that is.
    assert sorted((r.platform, r.destination) for r in rows) == [
        ("telegram", "wall"),
        ("vk", "wall"),
    ]
    assert all(r.action is OutboxAction.SEND for r in rows)
    assert len(notices) == 1  # the preview in the admin chat


async def test_planner_publishes_due_marks_missed_and_holds_quiet(
    db: Database, tmp_path: Path
) -> None:
    services = services_on(db, tmp_path)
    planner = PostPlanner(services)
    now = utcnow()
    soon = await service.create_post(
        services, body=from_plain("Скоро."), created_by="t", at=now + timedelta(minutes=5)
    )
    async with db.write() as conn:
        late = await repo.insert(
            conn,
            title=None,
            body=from_plain("Давно."),
            kind=PostKind.EVENT,
            status=PostStatus.SCHEDULED,
            platforms=["vk"],
            scheduled_at=now - timedelta(hours=3),
            created_by="t",
        )
    assert list(await planner.upcoming(now, now + timedelta(minutes=10))) == [
        now + timedelta(minutes=5)
    ]
    await planner.run_due(now + timedelta(minutes=6))
    async with db.read() as conn:
        assert (await repo.get(conn, soon)).status is PostStatus.PUBLISHING
        assert (await repo.get(conn, late)).status is PostStatus.MISSED
        roles = [n.payload["extra"]["role"] for n in await store.by_ref(conn, REF_NOTICE, late)]
    assert "missed" in roles

    local = now.astimezone(services.settings.tz)
    quiet = services_on(
        db,
        tmp_path,
        quiet_hours_start=(local - timedelta(hours=1)).time(),
        quiet_hours_end=(local + timedelta(hours=1)).time().replace(second=0, microsecond=0),
    )
    held = await service.create_post(quiet, body=from_plain("Ночью."), created_by="t")
    urgent = await service.create_post(
        quiet, body=from_plain("Срочно."), created_by="t", kind=PostKind.URGENT
    )
    async with db.read() as conn:
        waiting = await repo.get(conn, held)
        assert waiting.status is PostStatus.SCHEDULED
        assert waiting.scheduled_at is not None
        assert waiting.scheduled_at > now + timedelta(minutes=55)
        assert (await repo.get(conn, urgent)).status is PostStatus.PUBLISHING
