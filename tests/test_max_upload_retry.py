"""MAX uploads are invisible: one that got no answer is simply made again, never a send
whose outcome is unknown — whether its call timed out, the app stopped while it was out,
or the process died then (the next start resumes the row)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bots.app import App
from shared.domain import OutboxState, PostStatus, PublicationState
from shared.outbox import store
from shared.outbox.model import OutboxItem
from shared.posts import service
from shared.posts.model import REF_PUBLICATION
from shared.richtext import from_plain
from shared.storage.engine import Database
from simulators.max import FakeMax
from simulators.telegram import make_png
from simulators.waiting import wait
from tests.posts_harness import running_app, wait_post
from tests.test_max_publish import settings
from tests.test_posts_changes import rows_of

PHOTO = [("photo", "p.png", "image/png", make_png(20, 20))]


def settled(post: Any, pubs: Any) -> bool:
    return post.status in {PostStatus.PUBLISHED, PostStatus.FAILED} or any(
        p.state is PublicationState.UNKNOWN for p in pubs
    )


async def create(app: App) -> int:
    return await service.create_post(
        app.services, body=from_plain("Новость с фото."), created_by="test", media=PHOTO
    )


def published_once(fake: FakeMax) -> None:
    [message] = fake.channel_messages()
    assert "Новость с фото." in message["text"]
    assert [a["type"] for a in message["attachments"]] == ["image"]


async def test_an_upload_that_timed_out_is_made_again_not_left_unknown(
    tmp_path: Path, max: FakeMax
) -> None:
    # MAX makes the upload slot and answers too late: only an unused slot was made.
    max.fail_timeout_after_accept("getUploadUrl", delay=3)
    async with running_app(settings(tmp_path, max, request_timeout=1)) as app:
        post_id = await create(app)
        post, [pub] = await wait_post(app, post_id, settled, timeout=30)
        assert pub.state is PublicationState.PUBLISHED, (post.status, pub.state, pub.error)
    assert len(max.calls("getUploadUrl")) == 2
    published_once(max)


async def _upload_out(app: App, max: FakeMax) -> tuple[int, OutboxItem]:
    """A post whose photo's upload call is out (MAX answers after the stop's grace): its
    row as the database has it then, the step marked in flight."""
    max.fail_timeout_after_accept("getUploadUrl", delay=12)
    post_id = await create(app)

    async def marked() -> OutboxItem | None:
        [row] = await rows_of(app, post_id, "max")
        inflight = row.state is OutboxState.SENDING and row.progress.get(store.INFLIGHT)
        return row if inflight == "upload0" else None

    return post_id, await wait(marked, 15)


async def test_a_stop_while_an_upload_is_out_leaves_the_send_to_the_next_start(
    tmp_path: Path, max: FakeMax
) -> None:
    cfg = settings(tmp_path, max, request_timeout=120)
    async with running_app(cfg) as app:
        post_id, out = await _upload_out(app, max)
    db = Database(cfg.database.url)
    try:
        async with db.read() as conn:
            [row] = await store.by_ref(conn, REF_PUBLICATION, out.ref_id or 0)
    finally:
        await db.dispose()
    assert row.state is OutboxState.PENDING, (row.state, row.error)

    max.clear_faults()
    async with running_app(cfg) as app:
        _, [pub] = await wait_post(app, post_id, settled, timeout=30)
        assert pub.state is PublicationState.PUBLISHED, (pub.state, pub.error)
    published_once(max)


async def test_a_restart_after_dying_with_an_upload_out_resumes_the_send(
    tmp_path: Path, max: FakeMax
) -> None:
    cfg = settings(tmp_path, max, request_timeout=120)
    async with running_app(cfg) as app:
        post_id, out = await _upload_out(app, max)
    # What a process killed during the call leaves: the row sending, its step in flight.
    db = Database(cfg.database.url)
    try:
        async with db.write() as conn:
            await store.finish(conn, out.id, OutboxState.SENDING, progress=out.progress)
    finally:
        await db.dispose()

    max.clear_faults()
    async with running_app(cfg) as app:
        _, [pub] = await wait_post(app, post_id, settled, timeout=30)
        assert pub.state is PublicationState.PUBLISHED, (pub.state, pub.error)
    published_once(max)
