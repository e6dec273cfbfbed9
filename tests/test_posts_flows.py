"""A published post's life: edits and deletes, hostile text, Markdown a press officer writes
(Cyrillic links, lists) on both platforms, and what can go wrong."""

from __future__ import annotations

from pathlib import Path

from bots.app import App
from shared.domain import OutboxAction, OutboxState, PostStatus, PublicationState
from shared.outbox import store
from shared.outbox.model import OutboxItem
from shared.posts import repo, service
from shared.posts.model import REF_PUBLICATION
from shared.richtext import from_markdown, from_plain
from shared.storage import audit
from simulators.telegram import FakeTelegram, make_png
from simulators.vk import FakeVK
from simulators.waiting import wait
from tests.harness import ADMIN_CHAT, CHANNEL_ID, MODERATOR
from tests.posts_harness import (
    admin,
    channel,
    post_settings,
    press,
    remembered,
    running_app,
    wait_admin,
    wait_post,
)


def status_is(status: PostStatus):  # type: ignore[no-untyped-def]
    return lambda post, pubs: post.status is status


async def test_edit_and_delete_reach_both_platforms(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    async with running_app(post_settings(tmp_path, tg, vk)) as app:
        post_id = await service.create_post(
            app.services,
            body=from_markdown("Первая **версия** текста."),
            created_by="test",
            media=[("photo", "a.png", "image/png", make_png(10, 10))],
        )
        await wait_post(app, post_id, status_is(PostStatus.PUBLISHED))
        [photo] = channel(tg)
        assert "Первая версия" in photo["caption"]
        preview = await wait_admin(tg, "опубликован")
        await remembered(app, preview)

        # A moderator replies to the preview with the new text (bold kept).
        tg.user_message(
            MODERATOR,
            ADMIN_CHAT,
            text="Вторая версия текста.",
            entities=[{"type": "bold", "offset": 7, "length": 6}],
            reply_to_message_id=preview["message_id"],
        )
        await tg.wait_for(
            lambda: (
                "Вторая" in (tg.message(CHANNEL_ID, photo["message_id"]) or {}).get("caption", "")
            )
        )
        edited = tg.message(CHANNEL_ID, photo["message_id"])
        assert edited is not None
        assert edited["raw_caption"] == "Вторая <b>версия</b> текста."
        await vk.wait_for(lambda: vk.wall_posts()[0]["message"] == "Вторая версия текста.")
        assert vk.wall_posts()[0]["attachments"], "wall.edit kept the photo"

        # A long edit overflows the caption: the rest follows as a new message.
        long_text = "\n\n".join(f"Абзац {n}. " + "текст " * 60 for n in range(5))
        await service.edit(app.services, post_id, from_plain(long_text), "test")
        await tg.wait_for(lambda: len(channel(tg)) == 2)
        await vk.wait_for(lambda: "Абзац 4." in vk.wall_posts()[0]["message"])

        preview = await wait_admin(tg, "опубликован")
        await press(tg, MODERATOR, preview, "Удалить")
        confirm = await wait_admin(tg, "Удалить пост №1")
        assert [m for m in channel(tg)] != []
        await press(tg, MODERATOR, confirm, "Да, удалить везде")
        await tg.wait_for(lambda: channel(tg) == [], timeout=10)
        await vk.wait_for(lambda: vk.wall_posts()[0]["deleted"], timeout=10)
        _, _pubs = await wait_post(
            app, post_id, lambda p, pubs: all(x.state is PublicationState.DELETED for x in pubs)
        )
        assert len(vk.wall_posts()) == 1


def state_on(platform: str, state: PublicationState):  # type: ignore[no-untyped-def]
    return lambda post, pubs: any(x.platform == platform and x.state is state for x in pubs)


async def wall_sends(app: App, post_id: int) -> list[OutboxItem]:
    """The outbox rows of the post's VK send (not its deletion)."""
    async with app.services.db.read() as conn:
        [pub] = [p for p in await repo.publications_of(conn, post_id) if p.platform == "vk"]
        items = await store.by_ref(conn, REF_PUBLICATION, pub.id)
    return [i for i in items if i.action is OutboxAction.SEND]


async def test_delete_while_vk_waits_for_a_retry_cancels_the_wall_post(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    vk.fail_http("wall.post", 500)  # VK is having a bad minute: its send waits for a retry
    slow_retry = {"poll_interval": 0.2, "backoff_base": 30.0, "backoff_max": 60.0}
    async with running_app(post_settings(tmp_path, tg, vk, outbox=slow_retry)) as app:
        post_id = await service.create_post(
            app.services, body=from_plain("Пост, который передумали."), created_by="test"
        )
        await wait_post(app, post_id, state_on("telegram", PublicationState.PUBLISHED))

        async def retry_waits() -> bool:
            [send] = await wall_sends(app, post_id)
            return send.state is OutboxState.PENDING and send.attempts == 1

        await wait(retry_waits, 10)
        await service.delete(app.services, post_id, "cli")  # as `post delete ID --yes` does

        await tg.wait_for(lambda: channel(tg) == [], timeout=10)
        post, pubs = await wait_post(app, post_id, state_on("telegram", PublicationState.DELETED))
        assert post.status is PostStatus.CANCELLED
        assert {p.platform: p.state for p in pubs}["vk"] is PublicationState.CANCELLED
        [send] = await wall_sends(app, post_id)
        assert send.state is OutboxState.CANCELLED, "the waiting wall post never goes out"
        assert vk.wall_posts() == []
        assert len(vk.calls("wall.post")) == 1


async def test_delete_while_the_wall_post_is_in_flight_deletes_it_once_it_lands(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    vk.hold_answers("wall.post")  # VK makes the wall post; its answer waits for us
    async with running_app(post_settings(tmp_path, tg, vk)) as app:
        post_id = await service.create_post(
            app.services, body=from_plain("Пост, который передумали на лету."), created_by="test"
        )
        await vk.wait_for(lambda: len(vk.wall_posts()) == 1, timeout=10)
        [send] = await wall_sends(app, post_id)
        assert send.state is OutboxState.SENDING
        await service.delete(app.services, post_id, "cli")
        vk.release_answers()

        await vk.wait_for(lambda: vk.wall_posts()[0]["deleted"], timeout=10)
        post, _pubs = await wait_post(
            app,
            post_id,
            lambda p, pubs: all(x.state is PublicationState.DELETED for x in pubs),
        )
        assert post.status is PostStatus.CANCELLED
        assert channel(tg) == []
        assert len(vk.calls("wall.delete")) == 1


async def test_delete_while_a_failing_wall_post_is_in_flight_calls_off_its_retry(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    """The wall post's call is out when the post is deleted, and then fails (HTTP 500):
    nothing was made, so its retry is called off instead of publishing the deleted post."""
    vk.fail_http("wall.post", 500, held=True)
    async with running_app(post_settings(tmp_path, tg, vk)) as app:
        post_id = await service.create_post(
            app.services, body=from_plain("Пост, который передумали, пока VK думал."),
            created_by="test",
        )  # fmt: skip
        await vk.wait_for(lambda: len(vk.calls("wall.post")) == 1, timeout=10)
        [send] = await wall_sends(app, post_id)
        assert send.state is OutboxState.SENDING
        await service.delete(app.services, post_id, "cli")
        vk.release_answers()

        post, _ = await wait_post(app, post_id, state_on("vk", PublicationState.CANCELLED))
        assert post.status is PostStatus.CANCELLED
        [send] = await wall_sends(app, post_id)
        assert send.state is OutboxState.CANCELLED, "its retry never goes out"
        await tg.wait_for(lambda: channel(tg) == [], timeout=10)
    assert vk.wall_posts() == []
    assert len(vk.calls("wall.post")) == 1
    assert vk.calls("wall.delete") == []


HOSTILE = (
    "<script>alert(1)</script> и незакрытый <b>жирный, "
    "&amp; готовая сущность и голый & амперсанд 🎉👨‍👩‍👧 эмодзи, "
    "שלום עולם مرحبا بالعالم справа налево.\n\n" + "Ы" * 5000 + "\n\nКонец."
)


async def test_hostile_text_renders_safely_on_both(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    async with running_app(post_settings(tmp_path, tg, vk)) as app:
        post_id = await service.create_post(
            app.services, body=from_plain(HOSTILE), title="<b>Заголовок & co", created_by="test"
        )
        _, pubs = await wait_post(app, post_id, status_is(PostStatus.PUBLISHED))
        texts = [m["text"] for m in channel(tg)]
        joined = "".join(texts)
        assert "<script>alert(1)</script>" in joined
        assert "&amp; готовая" in joined
        assert "голый & амперсанд" in joined
        assert "🎉👨‍👩‍👧" in joined
        assert "שלום עולם" in joined
        assert joined.count("Ы") == 5000
        assert "Конец." in joined
        assert "<b>Заголовок & co" in joined
        raw = "".join(m["raw_text"] for m in channel(tg))
        assert "<script>" not in raw
        assert "&lt;script&gt;" in raw
        [wall] = vk.wall_posts()
        for piece in (
            "<script>alert(1)</script>",
            "&amp; готовая",
            "голый & амперсанд",
            "🎉",
            "مرحبا",
        ):
            assert piece in wall["message"]
        assert wall["message"].count("Ы") == 5000
        assert all(p.state is PublicationState.PUBLISHED for p in pubs)
        preview = await wait_admin(tg, "Пост №1")
        assert "<script>" in preview["text"]


async def test_unknown_outcome_buttons(tmp_path: Path, tg: FakeTelegram, vk: FakeVK) -> None:
    tg.fail("sendMessage", "timeout_after_accept", chat_id="@town_news", delay=10)
    async with running_app(post_settings(tmp_path, tg, None)) as app:
        post_id = await service.create_post(
            app.services, body=from_plain("Пост с неясной судьбой."), created_by="test"
        )
        notice = await wait_admin(tg, "неизвестно, опубликован ли он", timeout=20)
        _, pubs = await wait_post(
            app, post_id, lambda p, pubs: pubs[0].state is PublicationState.UNKNOWN
        )
        await remembered(app, notice)
        await press(tg, MODERATOR, notice, "Опубликовать снова")
        _, pubs = await wait_post(app, post_id, status_is(PostStatus.PUBLISHED), timeout=20)
        assert pubs[0].url is not None
        assert len(channel(tg)) == 2  # the moderator chose to send it again

        tg.fail("sendMessage", "timeout_after_accept", chat_id="@town_news", delay=10)
        second = await service.create_post(
            app.services, body=from_plain("Второй пост."), created_by="test"
        )
        notice = await wait_admin(tg, f"Пост №{second} (Telegram): неизвестно", timeout=20)
        await remembered(app, notice)
        await press(tg, MODERATOR, notice, "Уже опубликовано")
        await wait_post(app, second, status_is(PostStatus.PUBLISHED))
        assert len(channel(tg)) == 3  # nothing was sent again


async def test_vk_captcha_parks_the_wall_post_until_a_moderator_answers(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    vk.fail("wall.post", 14)
    async with running_app(post_settings(tmp_path, tg, vk)) as app:
        post_id = await service.create_post(
            app.services, body=from_plain("Пост с капчей."), created_by="test"
        )
        prompt = await wait_admin(tg, "код с картинки", timeout=15)
        assert prompt.get("photo"), "the captcha image is in the admin chat"
        _, pubs = await wait_post(
            app, post_id, lambda p, pubs: any(x.state is PublicationState.HELD for x in pubs)
        )
        vk_pub = next(p for p in pubs if p.platform == "vk")
        async with app.services.db.read() as conn:
            item = await store.get(conn, vk_pub.outbox_id or 0)
        assert item is not None
        code = vk.captcha_answer(item.progress["hold"]["sid"])
        await remembered(app, prompt)
        tg.user_message(MODERATOR, ADMIN_CHAT, text=code, reply_to_message_id=prompt["message_id"])
        await wait_post(app, post_id, status_is(PostStatus.PUBLISHED), timeout=15)
        assert len(vk.wall_posts()) == 1


async def test_permanent_failure_reason_is_on_the_preview(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    tg.fail("sendMessage", "400", chat_id="@town_news", description="Bad Request: chat not found")
    async with running_app(post_settings(tmp_path, tg, vk)) as app:
        post_id = await service.create_post(
            app.services, body=from_plain("Пост, который не выйдет в канал."), created_by="test"
        )
        await wait_post(app, post_id, status_is(PostStatus.PARTLY_PUBLISHED))
        preview = await wait_admin(tg, "опубликован частично")
        assert "chat not found" in preview["text"]
        assert "Повторить" in str(preview["reply_markup"])
        await press(tg, MODERATOR, preview, "Повторить")
        await wait_post(app, post_id, status_is(PostStatus.PUBLISHED))
        assert len(vk.wall_posts()) == 1
        assert len(channel(tg)) == 1


async def test_only_moderators_author_and_other_replies_fall_through(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    tg.add_user(7777, "Посторонний")
    async with running_app(post_settings(tmp_path, tg, None)) as app:
        tg.user_message(7777, ADMIN_CHAT, text="/post Не модератор")

        async def refused() -> bool:
            async with app.services.db.read() as conn:
                return any(e["action"] == "denied" for e in await audit.entries(conn))

        # Ignored (a reply would spend the admin chat's budget), but audited.
        await wait(refused)
        async with app.services.db.read() as conn:
            from shared.posts import repo

            assert await repo.recent(conn) == []
        tg.user_message(MODERATOR, ADMIN_CHAT, text="Обычное сообщение")
        tg.user_message(MODERATOR, ADMIN_CHAT, text="ответ", reply_to_message_id=1)
        tg.user_message(MODERATOR, ADMIN_CHAT, text="/post Новость *дня*")
        preview = await wait_admin(tg, "Пост №1")
        assert "Новость *дня*" in preview["text"]
        assert len([m for m in admin(tg) if "Пост №" in (m.get("text") or "")]) == 1


async def _published(tmp_path: Path, tg: FakeTelegram, vk: FakeVK, source: str) -> tuple[str, str]:
    """A release written in Markdown, published: the channel's text and the VK wall's."""
    async with running_app(post_settings(tmp_path, tg, vk)) as app:
        post_id = await service.create_post(
            app.services, body=from_markdown(source), created_by="test"
        )
        await wait_post(app, post_id, status_is(PostStatus.PUBLISHED))
    [message] = channel(tg)
    [wall] = vk.wall_posts()
    return message["text"], wall["message"]


async def test_cyrillic_autolink_is_written_once_on_the_vk_wall(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    """`<https://мэрия.рф/новости>` in a release: VK shows the address once, readable."""
    text, wall = await _published(tmp_path, tg, vk, "Подробности: <https://мэрия.рф/новости>")
    assert wall == "Подробности: https://мэрия.рф/новости"
    assert text == "Подробности: https://мэрия.рф/новости"


async def test_link_whose_text_is_its_cyrillic_address_is_written_once_on_vk(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    source = "[https://town.ru/новости](https://town.ru/новости)"
    _, wall = await _published(tmp_path, tg, vk, source)
    assert wall == "https://town.ru/новости"


async def test_a_list_item_with_a_second_paragraph_keeps_one_number(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    """A numbered step with an explanation under it (a loose list item): the explanation is
    a paragraph of its own, not a second "1."."""
    source = (
        "Как подать заявку:\n\n"
        "1. Заполните анкету.\n\n"
        "   Анкета есть на сайте и в МФЦ.\n\n"
        "2. Принесите паспорт."
    )
    expected = (
        "Как подать заявку:\n\n1. Заполните анкету.\n\n"
        "Анкета есть на сайте и в МФЦ.\n\n2. Принесите паспорт."
    )
    assert await _published(tmp_path, tg, vk, source) == (expected, expected)


async def test_a_list_numbered_from_zero_keeps_its_numbers(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    expected = "0. Вступление\n1. Основная часть"
    assert await _published(tmp_path, tg, vk, expected) == (expected, expected)


async def test_the_delete_question_names_the_posts_own_platforms(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    """A post published to the channel only: «Удалить» asks about the channel, not the VK
    wall it never went to."""
    async with running_app(post_settings(tmp_path, tg, vk)) as app:
        post_id = await service.create_post(
            app.services,
            body=from_plain("Только для канала."),
            platforms=["telegram"],
            created_by="test",
        )
        await wait_post(app, post_id, status_is(PostStatus.PUBLISHED))
        preview = await wait_admin(tg, "опубликован")
        await remembered(app, preview)
        await press(tg, MODERATOR, preview, "Удалить")
        confirm = await wait_admin(tg, f"Удалить пост №{post_id}")
        assert confirm["text"] == f"Удалить пост №{post_id} со всех площадок (Telegram)?"
        await press(tg, MODERATOR, confirm, "Да, удалить везде")
        await tg.wait_for(lambda: channel(tg) == [], timeout=10)
        assert not vk.wall_posts()
