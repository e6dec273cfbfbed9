"""A publication, or an edit of one, that failed part-way: an album out and its text
refused until the outbox gave up, or a longer text's second message out and its third
refused. What the bot made stays named on the publication: «Повторить» finishes the
send or the edit without posting a made part again, and a deletion takes every made
part down. Telegram and MAX, over real HTTP against the strict fakes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bots.app import App
from shared.delivered import Delivered, Role
from shared.domain import OutboxAction, OutboxState, PostStatus, PublicationState
from shared.posts import service
from shared.posts.model import Publication
from shared.richtext import from_plain
from simulators.max import FakeMax
from simulators.telegram import FakeTelegram, make_png
from simulators.waiting import wait
from tests.posts_harness import channel, post_settings, running_app, wait_post
from tests.test_max_publish import release
from tests.test_max_publish import settings as max_app_settings
from tests.test_posts_changes import rows_of

LONG = "Плановое отключение воды на улицах Мира и Ленина. " * 40  # over a caption's 1,024
EDITED = "Отключение воды перенесено на четверг. " * 40
CHANNEL = "@town_news"


def status_is(status: PostStatus):  # type: ignore[no-untyped-def]
    return lambda post, pubs: post.status is status


def photos(n: int) -> list[tuple[str, str, str, bytes]]:
    return [("photo", f"p{i}.png", "image/png", make_png(20 + i, 20)) for i in range(n)]


def made(pub: Publication) -> Delivered:
    found = Delivered.from_dict(pub.remote)
    assert found is not None, pub.remote
    return found


async def last_row_is(app: App, post_id: int, platform: str, action: OutboxAction) -> None:
    """Wait until the publication's latest row is a sent ``action``."""

    async def done() -> bool:
        rows = await rows_of(app, post_id, platform)
        return rows[-1].action is action and rows[-1].state is OutboxState.SENT

    await wait(done, 30)


async def failed_edit(app: App, post_id: int, platform: str) -> None:
    async def failed() -> bool:
        rows = await rows_of(app, post_id, platform)
        return rows[-1].action is OutboxAction.EDIT and rows[-1].state is OutboxState.FAILED

    await wait(failed, 30)


# -- Telegram: a send failed part-way ---------------------------------------------------


async def _album_out_text_refused(app: App, tg: FakeTelegram, text: str = LONG) -> int:
    """A post with an album whose text meets Telegram's 500 until the outbox gives up."""
    tg.fail("sendMessage", "500", times=3, chat_id=CHANNEL)
    post_id = await service.create_post(
        app.services, body=from_plain(text), created_by="test", media=photos(2)
    )
    _, [pub] = await wait_post(app, post_id, status_is(PostStatus.FAILED), timeout=30)
    assert pub.state is PublicationState.FAILED
    # The publication names the album that is out, though its send failed.
    assert len(made(pub).ids(Role.MEDIA)) == 2
    assert len([m for m in channel(tg) if m.get("photo")]) == 2
    return post_id


async def test_retry_of_a_send_failed_part_way_does_not_post_the_album_again(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    settings = post_settings(tmp_path, tg, None, outbox={"max_attempts": 3})
    async with running_app(settings) as app:
        post_id = await _album_out_text_refused(app, tg)
        await service.retry(app.services, post_id, "test")
        _, [pub] = await wait_post(app, post_id, status_is(PostStatus.PUBLISHED), timeout=30)

        assert len([r for r in tg.requests("sendMediaGroup") if r["ok"]]) == 1
        shown = channel(tg)
        assert len([m for m in shown if m.get("photo")]) == 2
        texts = [m for m in shown if m.get("text")]
        assert texts
        assert "Плановое отключение" in texts[0]["text"]
        # The publication names every message: the album and the text after it.
        ids = {str(m["message_id"]) for m in shown}
        assert set(made(pub).ids()) == ids


async def test_deleting_a_send_failed_part_way_takes_its_album_down(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    settings = post_settings(tmp_path, tg, None, outbox={"max_attempts": 3})
    async with running_app(settings) as app:
        post_id = await _album_out_text_refused(app, tg)
        done = await service.delete(app.services, post_id, "test")
        assert done.deleting == ["Telegram"]
        assert not done.by_hand

        await last_row_is(app, post_id, "telegram", OutboxAction.DELETE)
        assert channel(tg) == []
        _, [pub] = await wait_post(app, post_id, status_is(PostStatus.CANCELLED))
        assert pub.state is PublicationState.DELETED


async def test_a_text_edited_before_the_retry_follows_the_finished_send_as_an_edit(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    settings = post_settings(tmp_path, tg, None, outbox={"max_attempts": 3})
    async with running_app(settings) as app:
        post_id = await _album_out_text_refused(app, tg)
        assert await service.edit(app.services, post_id, from_plain(EDITED), "test") == []
        await service.retry(app.services, post_id, "test")
        await wait_post(app, post_id, status_is(PostStatus.PUBLISHED), timeout=30)
        await last_row_is(app, post_id, "telegram", OutboxAction.EDIT)

        assert len([r for r in tg.requests("sendMediaGroup") if r["ok"]]) == 1
        texts = [m["text"] for m in channel(tg) if m.get("text")]
        assert texts
        assert all("Плановое" not in t for t in texts)
        assert "перенесено на четверг" in texts[0]


# -- Telegram: an edit failed part-way --------------------------------------------------


async def _second_part_out_third_refused(app: App, tg: FakeTelegram) -> int:
    """A short post edited to three messages: the second goes out, the third meets 500."""
    post_id = await service.create_post(
        app.services, body=from_plain("Короткая новость."), created_by="test"
    )
    await wait_post(app, post_id, status_is(PostStatus.PUBLISHED))
    tg.fail("sendMessage", "timeout_after_accept", chat_id=CHANNEL, delay=0.05)
    tg.fail("sendMessage", "500", times=3, chat_id=CHANNEL)
    await service.edit(app.services, post_id, from_plain(release(1100)), "test")
    await failed_edit(app, post_id, "telegram")
    assert len(channel(tg)) == 2  # the first message edited, the second made
    return post_id


async def test_retry_of_an_edit_failed_part_way_does_not_post_its_second_part_again(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    settings = post_settings(tmp_path, tg, None, outbox={"max_attempts": 3})
    async with running_app(settings) as app:
        post_id = await _second_part_out_third_refused(app, tg)
        _, [pub] = await wait_post(app, post_id, status_is(PostStatus.PUBLISHED))
        assert len(made(pub).ids(Role.TEXT)) == 2  # the made part is named
        await service.retry(app.services, post_id, "test")
        await last_row_is(app, post_id, "telegram", OutboxAction.EDIT)

        shown = channel(tg)
        assert len(shown) == 3, [m["text"][:30] for m in shown]
        together = " ".join(m["text"] for m in shown)
        assert "слово0 " in together
        assert "слово1099." in together
        _, [pub] = await wait_post(app, post_id, status_is(PostStatus.PUBLISHED))
        assert set(made(pub).ids()) == {str(m["message_id"]) for m in shown}


async def test_deleting_after_an_edit_failed_part_way_leaves_nothing(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    settings = post_settings(tmp_path, tg, None, outbox={"max_attempts": 3})
    async with running_app(settings) as app:
        post_id = await _second_part_out_third_refused(app, tg)
        await service.delete(app.services, post_id, "test")
        await last_row_is(app, post_id, "telegram", OutboxAction.DELETE)
        assert channel(tg) == []


# -- MAX ---------------------------------------------------------------------------------


def max_settings(tmp_path: Path, fake: FakeMax) -> Any:
    settings = max_app_settings(tmp_path, fake)
    outbox = settings.outbox.model_copy(update={"max_attempts": 3})
    return settings.model_copy(update={"outbox": outbox})


def second_send_refused(fake: FakeMax) -> None:
    """The next message goes out (answered a little late), the one after meets 503."""
    fake.fail_timeout_after_accept("sendMessage", delay=0.05)
    fake.fail("sendMessage", 503, times=3)


async def test_max_retry_of_a_send_failed_part_way_posts_each_part_once(
    tmp_path: Path, max: FakeMax
) -> None:
    async with running_app(max_settings(tmp_path, max)) as app:
        second_send_refused(max)
        post_id = await service.create_post(
            app.services, body=from_plain(release(700)), created_by="test"
        )
        _, [pub] = await wait_post(app, post_id, status_is(PostStatus.FAILED), timeout=30)
        [first] = max.channel_messages()
        assert made(pub).ids() == [first["mid"]]

        await service.retry(app.services, post_id, "test")
        _, [pub] = await wait_post(app, post_id, status_is(PostStatus.PUBLISHED), timeout=30)
        shown = max.channel_messages()
        assert [m["mid"] for m in shown] == made(pub).ids()
        assert len(shown) == 2
        assert shown[0]["mid"] == first["mid"]
        assert "слово0 " in shown[0]["text"]
        assert "слово699." in shown[1]["text"]


async def test_max_deleting_a_send_failed_part_way_takes_its_first_part_down(
    tmp_path: Path, max: FakeMax
) -> None:
    async with running_app(max_settings(tmp_path, max)) as app:
        second_send_refused(max)
        post_id = await service.create_post(
            app.services, body=from_plain(release(700)), created_by="test"
        )
        await wait_post(app, post_id, status_is(PostStatus.FAILED), timeout=30)
        assert len(max.channel_messages()) == 1
        done = await service.delete(app.services, post_id, "test")
        assert done.deleting == ["MAX"]
        assert not done.by_hand
        await last_row_is(app, post_id, "max", OutboxAction.DELETE)
        assert max.channel_messages() == []


async def test_max_edit_failed_part_way_is_finished_by_a_retry_and_deleted_whole(
    tmp_path: Path, max: FakeMax
) -> None:
    async with running_app(max_settings(tmp_path, max)) as app:
        post_id = await service.create_post(
            app.services, body=from_plain("Короткая новость."), created_by="test"
        )
        await wait_post(app, post_id, status_is(PostStatus.PUBLISHED))
        second_send_refused(max)
        await service.edit(app.services, post_id, from_plain(release(1100)), "test")
        await failed_edit(app, post_id, "max")
        assert len(max.channel_messages()) == 2

        await service.retry(app.services, post_id, "test")
        await last_row_is(app, post_id, "max", OutboxAction.EDIT)
        shown = max.channel_messages()
        assert len(shown) == 3, [m["text"][:30] for m in shown]
        assert "слово1099." in shown[-1]["text"]

        await service.delete(app.services, post_id, "test")
        await last_row_is(app, post_id, "max", OutboxAction.DELETE)
        assert max.channel_messages() == []
