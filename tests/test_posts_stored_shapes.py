"""Publications stored before results were typed still edit and delete on every platform.

A deployment upgrading keeps its publications' ``remote_ids`` as the old hooks wrote them
(Telegram's ``chat_id``/``media_ids``/``text_ids``/``caption``, VK's ``post_id`` and
attachment codes); the platform's sender reads that shape itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shared.delivered import Delivered, Role
from shared.domain import PostStatus, PublicationState
from shared.posts import repo, service
from shared.richtext import from_markdown
from simulators.telegram import FakeTelegram, make_png
from simulators.vk import FakeVK
from tests.harness import CHANNEL_ID
from tests.posts_harness import channel, post_settings, running_app, wait_post


def _before_typing(platform: str, remote: dict[str, Any]) -> dict[str, Any]:
    """The ``remote_ids`` the hooks stored before typed results, from today's record."""
    delivered = Delivered.from_dict(remote)
    assert delivered is not None
    if platform == "vk":
        [post] = delivered.ids(Role.POST)
        return {"post_id": int(post), "attachments": delivered.refs["attachments"]}
    media = [int(i) for i in delivered.ids(Role.CAPTION, Role.MEDIA)]
    texts = [int(i) for i in delivered.ids(Role.TEXT)]
    return {
        "chat_id": delivered.refs["chat_id"],
        "message_ids": media + texts,
        "text_ids": texts,
        "media_ids": media,
        "caption": bool(delivered.ids(Role.CAPTION)),
    }


async def test_old_shape_publications_edit_and_delete(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    async with running_app(post_settings(tmp_path, tg, vk)) as app:
        post_id = await service.create_post(
            app.services,
            body=from_markdown("Первая **версия** текста."),
            created_by="test",
            media=[("photo", "a.png", "image/png", make_png(10, 10))],
        )
        _, pubs = await wait_post(
            app, post_id, lambda post, pubs: post.status is PostStatus.PUBLISHED
        )
        async with app.services.db.write() as conn:
            for pub in pubs:
                await repo.set_publication(
                    conn, pub.id, remote=_before_typing(pub.platform, pub.remote)
                )
        [photo] = channel(tg)

        await service.edit(app.services, post_id, from_markdown("Вторая **версия**."), "test")
        await tg.wait_for(
            lambda: (
                (tg.message(CHANNEL_ID, photo["message_id"]) or {}).get("raw_caption")
                == "Вторая <b>версия</b>."
            )
        )
        await vk.wait_for(lambda: vk.wall_posts()[0]["message"] == "Вторая версия.")
        assert vk.wall_posts()[0]["attachments"], "wall.edit kept the photo"
        # The edit's outcome is stored typed: what the sender says the post shows now.
        _, pubs = await wait_post(
            app,
            post_id,
            lambda post, pubs: all(Delivered.from_dict(p.remote) is not None for p in pubs),
        )

        await service.delete(app.services, post_id, "test")
        await tg.wait_for(lambda: channel(tg) == [], timeout=10)
        await vk.wait_for(lambda: vk.wall_posts()[0]["deleted"], timeout=10)
        await wait_post(
            app, post_id, lambda p, pubs: all(x.state is PublicationState.DELETED for x in pubs)
        )
