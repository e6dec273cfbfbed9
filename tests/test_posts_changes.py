"""A published post's edits and deletion where they can't simply go through: a platform
that refused them (said on the preview and by ``post show`` in Russian, tried again with
«Повторить», ``post retry`` or another ``post delete``, never twice at once), and a
publication whose messages the bot does not know (a send whose outcome was unknown,
confirmed by a moderator as out): nothing is sent there, a person is told to act by hand.
"""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bots.app import App
from shared.clock import utcnow
from shared.delivered import KEY as DELIVERED
from shared.delivered import Delivered
from shared.domain import OutboxAction, OutboxState, PostStatus, PublicationState
from shared.errors import ChangedMeanwhile
from shared.outbox import store
from shared.outbox.model import OutboxItem, OutboxMessage
from shared.outbox.payload import edit as edit_payload
from shared.posts import repo, service
from shared.posts.model import REF_NOTICE, REF_PUBLICATION
from shared.richtext import from_plain
from simulators.max import FakeMax
from simulators.telegram import FakeTelegram
from simulators.vk import FakeVK
from simulators.waiting import wait
from tests.harness import MODERATOR
from tests.posts_harness import (
    admin,
    buttons,
    channel,
    post_settings,
    press,
    remembered,
    running_app,
    wait_admin,
    wait_post,
)
from tests.test_max_publish import settings as max_app_settings
from tests.test_process import GLASHATAI, env_for

FIRST = "Отключение воды на ул. Мира."
SECOND = "Отключение воды на ул. Мира отменено."


def status_is(status: PostStatus):  # type: ignore[no-untyped-def]
    return lambda post, pubs: post.status is status


def state_on(platform: str, state: PublicationState):  # type: ignore[no-untyped-def]
    return lambda post, pubs: any(p.platform == platform and p.state is state for p in pubs)


async def rows_of(app: App, post_id: int, platform: str) -> list[OutboxItem]:
    """The outbox rows of the post's publication on ``platform``."""
    async with app.services.db.read() as conn:
        pubs = await repo.publications_of(conn, post_id)
        [pub] = [p for p in pubs if p.platform == platform]
        return await store.by_ref(conn, REF_PUBLICATION, pub.id)


def vk_calls(vk: FakeVK, method: str) -> list[dict[str, Any]]:
    """Calls of ``method`` VK took up (not those it asked to slow down: error 6)."""
    return [c for c in vk.calls(method) if c.get("error_code") != 6]


def actions(rows: list[OutboxItem]) -> list[tuple[OutboxAction, OutboxState]]:
    return [(r.action, r.state) for r in rows]


async def confirmed_out(app: App, tg: FakeTelegram, timeout: float = 20) -> int:
    """A post whose send went unknown, confirmed «Уже опубликовано»: no ids are known."""
    post_id = await service.create_post(app.services, body=from_plain(FIRST), created_by="test")
    notice = await wait_admin(tg, "неизвестно, опубликован ли он", timeout=timeout)
    await remembered(app, notice)
    await press(tg, MODERATOR, notice, "Уже опубликовано")
    await wait_post(app, post_id, status_is(PostStatus.PUBLISHED))
    return post_id


# --- the bot does not know the post's messages: a person acts --------------------------


async def test_an_edit_of_a_post_confirmed_out_is_left_to_a_person_not_posted_again(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    tg.fail("sendMessage", "timeout_after_accept", chat_id="@town_news", delay=10)
    async with running_app(post_settings(tmp_path, tg, None)) as app:
        post_id = await confirmed_out(app, tg)
        by_hand = await service.edit(app.services, post_id, from_plain(SECOND), "test")
        line = (
            f"Telegram: измените пост №{post_id} вручную — бот не знает, какое там его "
            "сообщение, и новый текст туда не отправлял."
        )
        assert by_hand == [line]
        await wait_admin(tg, line)  # the admin chat is told, under the preview
        preview = await wait_admin(tg, "там старый текст")
        assert (
            "Telegram: опубликовано — там старый текст: бот не знает, какое это сообщение, "
            "— измените пост вручную" in preview["text"]
        )
        assert [m["text"] for m in channel(tg)] == [FIRST], "no second copy in the channel"
        assert actions(await rows_of(app, post_id, "telegram")) == [
            (OutboxAction.SEND, OutboxState.SENT)
        ], "no edit was queued"

        # Written back as it was, the post is what the channel shows: nothing to do by hand.
        assert await service.edit(app.services, post_id, from_plain(FIRST), "test") == []
        await wait(lambda: "там старый текст" not in _preview(tg)["text"], 10)


async def settled_preview(app: App, tg: FakeTelegram, post_id: int, needle: str) -> dict[str, Any]:
    """The post's preview once it says ``needle`` and no redraw of it is still on its way
    (each redraw gives its buttons new tokens: a press must use the last)."""

    async def settled() -> dict[str, Any] | None:
        async with app.services.db.read() as conn:
            rows = await store.by_ref(conn, REF_NOTICE, post_id)
        if any(r.state in {OutboxState.PENDING, OutboxState.SENDING} for r in rows):
            return None
        preview = _preview(tg)
        return preview if needle in preview["text"] else None

    preview = await wait(settled, 15)
    await remembered(app, preview)
    return preview


def _preview(tg: FakeTelegram) -> dict[str, Any]:
    """The post's preview in the admin chat, as it reads now."""
    return next(m for m in reversed(admin(tg)) if "Статус:" in (m.get("text") or ""))


async def test_a_delete_of_a_post_confirmed_out_says_to_delete_it_by_hand(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    tg.fail("sendMessage", "timeout_after_accept", chat_id="@town_news", delay=10)
    async with running_app(post_settings(tmp_path, tg, None)) as app:
        post_id = await confirmed_out(app, tg)
        done = await service.delete(app.services, post_id, "test")
        line = (
            f"Telegram: удалите пост №{post_id} вручную — бот не знает, какое там его "
            "сообщение, и сам его не удалял."
        )
        assert done.deleting == []
        assert done.by_hand == [line]
        await wait_admin(tg, line)
        preview = await wait_admin(tg, "пост не удалён")
        assert "Статус: отменён" in preview["text"]
        assert (
            "Telegram: опубликовано — пост не удалён: бот не знает, какое это сообщение, "
            "— удалите его вручную" in preview["text"]
        )
        assert "Повторить" not in buttons(preview), "nothing the bot could try again"
        assert len(channel(tg)) == 1
        made = actions(await rows_of(app, post_id, "telegram"))
        assert made == [(OutboxAction.SEND, OutboxState.SENT)], "no deletion was queued"


async def test_a_post_deleted_while_its_send_was_unknown_then_confirmed_out_is_left_to_a_person(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    tg.fail("sendMessage", "timeout_after_accept", chat_id="@town_news", delay=10)
    async with running_app(post_settings(tmp_path, tg, None)) as app:
        post_id = await service.create_post(app.services, body=from_plain(FIRST), created_by="t")
        notice = await wait_admin(tg, "неизвестно, опубликован ли он", timeout=20)
        done = await service.delete(app.services, post_id, "test")
        assert done.by_hand == [
            f"Telegram: неизвестно, вышел ли пост №{post_id}; если вышел — удалите его "
            "вручную, бот не знает, какое там его сообщение."
        ]
        await remembered(app, notice)
        await press(tg, MODERATOR, notice, "Уже опубликовано")
        await wait_admin(tg, f"Telegram: удалите пост №{post_id} вручную")
        preview = await wait_admin(tg, "пост не удалён: бот не знает")
        assert "Статус: отменён" in preview["text"]
        assert len(channel(tg)) == 1


async def test_max_post_confirmed_out_is_neither_posted_again_nor_deleted_blindly(
    tmp_path: Path, max: FakeMax, tg: FakeTelegram
) -> None:
    max.fail_timeout_after_accept("sendMessage", delay=5)
    cfg = max_app_settings(tmp_path, max, tg, request_timeout=1)
    cfg.telegram.channel_id = None  # the post goes to MAX only
    async with running_app(cfg) as app:
        post_id = await confirmed_out(app, tg)
        by_hand = await service.edit(app.services, post_id, from_plain(SECOND), "test")
        assert by_hand
        assert by_hand[0].startswith(f"MAX: измените пост №{post_id} вручную")
        done = await service.delete(app.services, post_id, "test")
        assert done.by_hand
        assert done.by_hand[0].startswith(f"MAX: удалите пост №{post_id}")
        await wait_admin(tg, f"MAX: удалите пост №{post_id} вручную")
        assert [m["text"] for m in max.channel_messages()] == [FIRST]
        assert actions(await rows_of(app, post_id, "max")) == [
            (OutboxAction.SEND, OutboxState.SENT)
        ]


async def test_senders_refuse_to_change_a_publication_that_names_no_message(
    tmp_path: Path, max: FakeMax, tg: FakeTelegram
) -> None:
    """Whatever queues it, an "edit" of a publication with no known messages fails on the
    platform's side too: Telegram and MAX never post the text as new messages instead."""
    cfg = max_app_settings(tmp_path, max, tg)
    async with running_app(cfg) as app:
        nothing = {DELIVERED: Delivered().to_dict()}
        async with app.services.db.write() as conn:
            ids = [
                await store.enqueue(
                    conn,
                    OutboxMessage(
                        platform=platform,
                        action=OutboxAction.EDIT,
                        destination="wall",
                        payload=edit_payload([], from_plain(SECOND), extra=nothing),
                    ),
                )
                for platform in ("telegram", "max")
            ]
        app.services.wake_outbox()

        async def ended() -> list[OutboxState] | None:
            async with app.services.db.read() as conn:
                states = [r.state for r in await store.get_many(conn, ids)]
            waiting = {OutboxState.PENDING, OutboxState.SENDING}
            return None if any(s in waiting for s in states) else states

        assert await wait(ended, 10) == [OutboxState.FAILED, OutboxState.FAILED]
        assert channel(tg) == []
        assert max.channel_messages() == []


# --- a platform refused the edit or the deletion: said, and tried again ----------------


async def test_an_edit_vk_refused_is_on_the_preview_and_retried_with_its_button(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    async with running_app(post_settings(tmp_path, tg, vk)) as app:
        post_id = await service.create_post(app.services, body=from_plain(FIRST), created_by="t")
        await wait_post(app, post_id, status_is(PostStatus.PUBLISHED))
        vk.fail("wall.edit", 15)  # VK: access denied, once
        await service.edit(app.services, post_id, from_plain(SECOND), "test")
        preview = await settled_preview(
            app,
            tg,
            post_id,
            "VK: опубликовано — текст не изменён: площадка отказала; нажмите «Повторить»",
        )
        assert "Access denied" not in preview["text"]
        assert vk.wall_posts()[0]["message"] == FIRST
        [*_, refused] = await rows_of(app, post_id, "vk")
        assert refused.error == "VK error 15: Access denied", "the detail is kept for the log"

        await press(tg, MODERATOR, preview, "Повторить")
        await vk.wait_for(lambda: vk.wall_posts()[0]["message"] == SECOND)
        await wait(lambda: "текст не изменён" not in _preview(tg)["text"], 10)
        assert "Повторить" not in buttons(_preview(tg))
        assert len(vk_calls(vk, "wall.edit")) == 2

        async def recorded() -> list[tuple[OutboxAction, OutboxState]] | None:
            # The fake shows the edit once it accepts the call; its outcome lands just after.
            found = actions(await rows_of(app, post_id, "vk"))[1:]
            return found if found[-1][1] is not OutboxState.SENDING else None

        assert await wait(recorded, 10) == [
            (OutboxAction.EDIT, OutboxState.FAILED),
            (OutboxAction.EDIT, OutboxState.SENT),
        ]
        assert [m["text"] for m in channel(tg)] == [SECOND]


async def test_a_delete_vk_refused_is_on_the_preview_and_a_second_delete_sends_it_once(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    async with running_app(post_settings(tmp_path, tg, vk)) as app:
        post_id = await service.create_post(app.services, body=from_plain(FIRST), created_by="t")
        await wait_post(app, post_id, status_is(PostStatus.PUBLISHED))
        vk.fail("wall.delete", 15)
        done = await service.delete(app.services, post_id, "test")
        assert sorted(done.deleting) == ["Telegram", "VK"]
        assert done.by_hand == []
        preview = await wait_admin(
            tg, "VK: опубликовано — пост не удалён: площадка отказала; нажмите «Повторить»"
        )
        assert "Access denied" not in preview["text"]
        assert "Повторить" in buttons(preview)
        assert not vk.wall_posts()[0]["deleted"]

        vk.hold_answers("wall.delete")  # the retry reaches VK; its answer waits for us
        again = await service.delete(app.services, post_id, "cli")  # `post delete ID --yes`
        assert again.deleting == ["VK"]
        await vk.wait_for(lambda: len(vk_calls(vk, "wall.delete")) == 2)
        # Asked once more while that deletion is out: nothing new is queued.
        await service.delete(app.services, post_id, "cli")
        vk.release_answers()
        await wait_post(app, post_id, state_on("vk", PublicationState.DELETED))
        assert vk.wall_posts()[0]["deleted"]
        assert len(vk_calls(vk, "wall.delete")) == 2
        assert actions(await rows_of(app, post_id, "vk"))[1:] == [
            (OutboxAction.DELETE, OutboxState.FAILED),
            (OutboxAction.DELETE, OutboxState.SENT),
        ]
        await wait(lambda: "пост не удалён" not in _preview(tg)["text"], 10)


async def test_an_edit_whose_outcome_is_unknown_is_asked_about_and_the_post_stays_out(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    async with running_app(post_settings(tmp_path, tg, None)) as app:
        post_id = await service.create_post(app.services, body=from_plain(FIRST), created_by="t")
        await wait_post(app, post_id, status_is(PostStatus.PUBLISHED))
        tg.fail("editMessageText", "timeout_after_accept", chat_id="@town_news", delay=10)
        await service.edit(app.services, post_id, from_plain(SECOND), "test")
        notice = await wait_admin(tg, "неизвестно, изменён ли там текст", timeout=20)
        await remembered(app, notice)
        await press(tg, MODERATOR, notice, "Изменить снова")

        async def edited_again() -> bool:
            rows = await rows_of(app, post_id, "telegram")
            return rows[-1].state is OutboxState.SENT

        await wait(edited_again, 15)
        _post, [pub] = await wait_post(app, post_id, status_is(PostStatus.PUBLISHED))
        assert pub.state is PublicationState.PUBLISHED
        assert [m["text"] for m in channel(tg)] == [SECOND]


# --- the command line ------------------------------------------------------------------


def cli(tmp_path: Path, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [GLASHATAI, "post", *args], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done.stdout


async def test_cli_says_what_to_do_by_hand_and_what_a_platform_refused(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    env = env_for(tmp_path, tg, vk)
    (tmp_path / "new.md").write_text(SECOND, encoding="utf-8")
    tg.fail("sendMessage", "timeout_after_accept", chat_id="@town_news", delay=10)
    vk.fail("wall.edit", 15)
    async with running_app(post_settings(tmp_path, tg, vk)) as app:
        post_id = await confirmed_out(app, tg)
        await service.edit(app.services, post_id, from_plain(SECOND), "test")
        await wait(lambda: vk_calls(vk, "wall.edit"), 10)
        await wait_admin(tg, "текст не изменён: площадка отказала")

    shown = cli(tmp_path, env, "show", str(post_id))
    assert (
        "vk: опубликовано https://vk.com/wall-"
        in shown  # the link, then what went wrong and how to try again
    )
    assert (
        "— текст не изменён: площадка отказала; повторить: glashatai post retry "
        f"{post_id}\n" in shown
    )
    assert "telegram: опубликовано — там старый текст" in shown
    assert "Access denied" not in shown
    assert "VK error" not in shown

    assert cli(tmp_path, env, "retry", str(post_id)).strip() == f"Пост №{post_id}: пробуем ещё раз."
    async with running_app(post_settings(tmp_path, tg, vk)) as app:
        await vk.wait_for(lambda: vk.wall_posts()[0]["message"] == SECOND)

    (tmp_path / "new.md").write_text("Воду дали.", encoding="utf-8")
    edited = cli(tmp_path, env, "edit", str(post_id), "--text-file", "new.md").splitlines()
    assert edited[0] == f"Текст поста №{post_id} изменён."
    assert edited[1].startswith(f"Telegram: измените пост №{post_id} вручную")
    deleted = cli(tmp_path, env, "delete", str(post_id), "--yes").splitlines()
    assert deleted[0] == f"Пост №{post_id} удаляется: ВКонтакте."
    assert deleted[1].startswith(f"Telegram: удалите пост №{post_id} вручную")
    assert "удаляется со всех площадок" not in "\n".join(deleted)
    shown = cli(tmp_path, env, "show", str(post_id))
    assert "telegram: опубликовано — пост не удалён: бот не знает" in shown


async def test_an_edit_of_an_older_version_changes_nothing(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    """A form opened on version 1 and saved after a colleague's edit: refused in the edit's
    own transaction (the desk then shows both texts), the colleague's text kept."""
    async with running_app(post_settings(tmp_path, tg, None)) as app:
        later = utcnow() + timedelta(days=1)  # scheduled: edited before it goes out
        post_id = await service.create_post(
            app.services, body=from_plain(FIRST), created_by="test", at=later
        )
        newer, older = from_plain(SECOND), from_plain("Старое")
        await service.edit(app.services, post_id, newer, "colleague", expected_version=1)
        with pytest.raises(ChangedMeanwhile):
            await service.edit(app.services, post_id, older, "me", expected_version=1)
        async with app.services.db.read() as conn:
            post = await repo.get(conn, post_id)
    assert (post.version, post.body.plain) == (2, SECOND)
