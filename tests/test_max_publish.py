"""Press releases in the MAX channel, end to end: the real app against the strict fake MAX
(and the fake Telegram admin chat where a notice is expected)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from bots.max import platform as max_platform
from shared.domain import OutboxState, PostStatus, PublicationState
from shared.outbox import store
from shared.posts import service
from shared.richtext import from_plain
from simulators.max import FakeMax
from simulators.telegram import FakeTelegram, make_png
from simulators.waiting import wait
from tests.harness import settings_for
from tests.posts_harness import NO_QUIET, running_app, wait_admin, wait_post

WORDS = re.compile(r"слово\d+")


def max_settings(fake: FakeMax, **extra: Any) -> dict[str, Any]:
    return {
        "token": fake.token,
        "api_base": fake.base_url,
        "channel_id": fake.channel_id,
        "request_timeout": 3,
        "longpoll_timeout": 1,
        **extra,
    }


def settings(tmp_path: Path, fake: FakeMax, tg: FakeTelegram | None = None, **max_extra: Any):  # type: ignore[no-untyped-def]
    return settings_for(
        tmp_path,
        tg,
        None,
        overrides={
            "max": max_settings(fake, **max_extra),
            "publishing": NO_QUIET,
            "scheduler": {"sync_seconds": 0.5},
            "outbox": {"poll_interval": 0.05, "backoff_base": 0.05, "backoff_max": 1.0},
        },
    )


def release(words: int) -> str:
    """Paragraphs of numbered words: every word can be found exactly once."""
    paragraphs, line = [], []
    for n in range(words):
        line.append(f"слово{n}")
        if len(line) == 40:
            paragraphs.append(" ".join(line) + ".")
            line = []
    if line:
        paragraphs.append(" ".join(line) + ".")
    return "\n\n".join(paragraphs)


def published(status: PostStatus):  # type: ignore[no-untyped-def]
    return lambda post, pubs: post.status is status


async def test_long_release_with_photos_and_a_document_then_edit_and_delete(
    tmp_path: Path, max: FakeMax
) -> None:
    text = release(1100)
    assert len(text) > 9000
    media = [("photo", f"p{n}.png", "image/png", make_png(20 + n, 20)) for n in range(3)]
    media.append(("document", "release.pdf", "application/pdf", b"%PDF-1.4 release"))
    async with running_app(settings(tmp_path, max)) as app:
        post_id = await service.create_post(
            app.services, body=from_plain(text), created_by="test", media=media
        )
        _, [pub] = await wait_post(app, post_id, published(PostStatus.PUBLISHED), timeout=20)
        assert pub.platform == "max"
        messages = max.channel_messages()
        assert len(messages) == 3
        assert all(len(m["text"]) <= 4000 for m in messages)
        shown = " ".join(m["text"] for m in messages)
        found = WORDS.findall(shown)
        assert found == [f"слово{n}" for n in range(1100)], "every word once, in order"
        first = messages[0]
        assert [a["type"] for a in first["attachments"]] == ["image", "image", "image", "file"]
        assert [a for m in messages[1:] for a in m["attachments"]] == []
        tokens = [a["payload"]["token"] for a in first["attachments"]]
        assert max.uploaded(tokens[0]) == make_png(20, 20)
        assert max.uploaded(tokens[3]) == b"%PDF-1.4 release"
        assert max.stats()["not_ready"] >= 1, "the upload was not ready at first"

        # An edit: the text changes in place and the photos stay on the first message.
        await service.edit(app.services, post_id, from_plain("Исправленный текст релиза."), "t")
        await wait(lambda: max.channel_messages()[0]["text"] == "Исправленный текст релиза.")
        await wait(lambda: len(max.channel_messages()) == 1, describe=max.channel_messages)
        [edited] = max.channel_messages()
        assert [a["payload"]["token"] for a in edited["attachments"]] == tokens
        edits = max.calls("editMessage")
        assert edits
        assert edits[0]["body"]["attachments"], "the edit sent the photos and document again"

        # A second edit finds the messages the post shows now (one, not the first three).
        await service.edit(app.services, post_id, from_plain(release(900)), "t")
        await wait(lambda: len(max.channel_messages()) == 3, describe=max.channel_messages)
        assert WORDS.findall(" ".join(m["text"] for m in max.channel_messages())) == [
            f"слово{n}" for n in range(900)
        ]

        await service.delete(app.services, post_id, "t")
        await wait(lambda: max.channel_messages() == [], describe=max.channel_messages)
        _, [pub] = await wait_post(
            app, post_id, lambda p, pubs: pubs[0].state is PublicationState.DELETED
        )
        assert len(max.messages(max.channel_id, deleted=True)) == 5


async def test_a_429_is_honoured(tmp_path: Path, max: FakeMax) -> None:
    max.fail("sendMessage", 429, "too.many.requests", "Too many requests", times=2)
    async with running_app(settings(tmp_path, max)) as app:
        post_id = await service.create_post(
            app.services, body=from_plain("Пост после паузы."), created_by="test"
        )
        await wait_post(app, post_id, published(PostStatus.PUBLISHED), timeout=20)
        async with app.services.db.read() as conn:
            [row] = [r for r in await store.by_ref(conn, "publication", 1)]
        assert row.state is OutboxState.SENT
    sends = max.calls("sendMessage")
    assert [c["status"] for c in sends] == [429, 429, 200]
    assert [m["text"] for m in max.channel_messages()] == ["Пост после паузы."]


async def test_a_timeout_after_max_accepted_is_unknown_and_flagged(
    tmp_path: Path, max: FakeMax, tg: FakeTelegram
) -> None:
    max.fail_timeout_after_accept("sendMessage", delay=5)
    cfg = settings(tmp_path, max, tg, request_timeout=1)
    cfg.telegram.channel_id = None  # the post goes to MAX only
    async with running_app(cfg) as app:
        post_id = await service.create_post(
            app.services, body=from_plain("Пост с неясной судьбой."), created_by="test"
        )
        await wait_admin(tg, "неизвестно, опубликован ли он", timeout=20)
        _, [pub] = await wait_post(
            app, post_id, lambda p, pubs: pubs[0].state is PublicationState.UNKNOWN
        )
        assert pub.platform == "max"
    assert len(max.channel_messages()) == 1, "MAX has it once; nothing was sent again"


async def test_check_reads_the_token_and_the_channel_rights(tmp_path: Path, max: FakeMax) -> None:
    cfg = settings(tmp_path, max)
    results = await max_platform.check(cfg)
    assert [r.ok for r in results] == [True, True]
    max.set_channel_rights(False)
    results = await max_platform.check(cfg)
    assert [r.ok for r in results] == [True, False]
    assert results[1].what == "MAX: канал"
    assert "не администратор канала" in results[1].detail
    cfg.max.token = type(cfg.max.token)("wrong")  # type: ignore[misc,operator]
    [refused] = await max_platform.check(cfg)
    assert not refused.ok
    assert (refused.what, refused.detail) == (
        "MAX: токен бота",
        "не принят: отозван или набран с ошибкой",
    )
