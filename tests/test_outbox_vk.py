"""The outbox against the fake VK API: wall posts, messages, faults, exactly once."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from config import Settings
from shared.delivered import Delivered
from shared.domain import OutboxAction, OutboxState
from shared.outbox import store
from shared.outbox.model import OutboxMessage
from shared.outbox.payload import Button, message
from shared.richtext import from_markdown, from_plain
from shared.storage import citizens, media
from shared.storage.engine import Database
from shared.storage.media import MediaOwner
from simulators.vk import FakeVK
from tests.conftest import SPECS
from tests.harness import pdf_file, photo_file, running_outbox, settings_for, settle

CITIZEN = 777001


@pytest.fixture
def vk() -> Iterator[FakeVK]:
    with FakeVK() as fake:
        fake.add_user(CITIZEN, "Пётр", "Иванов")
        yield fake
        assert fake.stats()["crashes"] == 0


@pytest.fixture
def settings(tmp_path: Path, vk: FakeVK) -> Settings:
    return settings_for(tmp_path, vk=vk, overrides={"outbox": {"vk_flood_retry_seconds": 0.3}})


@pytest.fixture
async def outbox(sqlite_db: Database, settings: Settings) -> AsyncIterator[Database]:
    async with running_outbox(sqlite_db, settings, ["vk"]):
        yield sqlite_db


async def enqueue(db: Database, destination: str, payload: dict[str, Any], **kw: Any) -> int:
    async with db.write() as conn:
        return await store.enqueue(
            conn, OutboxMessage("vk", OutboxAction.SEND, destination, payload, **kw)
        )


async def test_wall_post_with_photo_and_document(outbox: Database, vk: FakeVK) -> None:
    async with outbox.write() as conn:
        photo, doc = await media.add_all(
            conn, "post", 1, [photo_file("a.png"), pdf_file("decree.pdf")]
        )
    text = "**Постановление** о [слушаниях](https://admin.example.ru/news/1)\n\n- пункт"
    item_id = await enqueue(outbox, "wall", message(from_markdown(text), media=[photo, doc]))
    (item,) = await settle(outbox, [item_id])
    assert item.state is OutboxState.SENT, item.error
    posts = vk.wall_posts()
    assert len(posts) == 1
    post = posts[0]
    assert post["guid"] == f"glashatai-outbox-{item_id}"
    assert "Постановление о слушаниях (https://admin.example.ru/news/1)" in post["message"]
    assert "• пункт" in post["message"]
    assert "**" not in post["message"]
    assert len(post["attachments"]) == 2
    made = Delivered.from_dict(item.result)
    assert made is not None
    assert made.url == f"https://vk.com/wall-{vk.group_id}_{made.ids()[0]}"
    assert {c["token_type"] for c in vk.calls("wall.post")} == {"user"}


async def test_message_to_citizen_carries_random_id_and_keyboard(
    outbox: Database, vk: FakeVK
) -> None:
    long_text = ("Ответ на ваш вопрос. " * 300).strip()
    payload = message(from_plain(long_text), buttons=[[Button("Мои вопросы", token="tok123")]])
    item_id = await enqueue(outbox, str(CITIZEN), payload)
    (item,) = await settle(outbox, [item_id])
    assert item.state is OutboxState.SENT, item.error
    sent = vk.messages(CITIZEN)
    assert len(sent) == 2
    assert all(m["random_id"] for m in sent)
    assert len({m["random_id"] for m in sent}) == 2
    assert "".join(m["message"] for m in sent).replace(" ", "") == long_text.replace(" ", "")
    keyboard = sent[-1]["keyboard"]
    button = keyboard["buttons"][0][0]["action"]
    assert json.loads(button["payload"]) == {"t": "tok123"}


@pytest.mark.parametrize("code", [6, 9])
async def test_rate_errors_are_retried_and_sent_once(
    outbox: Database, vk: FakeVK, code: int
) -> None:
    vk.fail("messages.send", code, times=2)
    item_id = await enqueue(outbox, str(CITIZEN), message(from_plain("Здравствуйте")))
    (item,) = await settle(outbox, [item_id])
    assert item.state is OutboxState.SENT, item.error
    assert len(vk.messages(CITIZEN)) == 1
    assert item.attempts == 2


async def test_http_500_is_retried(outbox: Database, vk: FakeVK) -> None:
    vk.fail_http("wall.post", 500, times=2)
    item_id = await enqueue(outbox, "wall", message(from_plain("Объявление")))
    (item,) = await settle(outbox, [item_id])
    assert item.state is OutboxState.SENT, item.error
    assert len(vk.wall_posts()) == 1


async def test_timeout_after_accept_does_not_duplicate(outbox: Database, vk: FakeVK) -> None:
    vk.fail_timeout_after_accept("wall.post", delay=5)
    vk.fail_timeout_after_accept("messages.send", delay=5)
    post_id = await enqueue(outbox, "wall", message(from_plain("Срочное объявление")))
    msg_id = await enqueue(outbox, str(CITIZEN), message(from_plain("Ответ")))
    items = await settle(outbox, [post_id, msg_id], timeout=20)
    assert [i.state for i in items] == [OutboxState.SENT, OutboxState.SENT]
    assert len([p for p in vk.wall_posts() if not p["deleted"]]) == 1
    assert len(vk.messages(CITIZEN)) == 1
    assert vk.stats()["deduplicated_posts"] == 1
    assert vk.stats()["deduplicated_messages"] == 1


async def test_blocked_citizen_is_marked_unreachable_without_retry(
    outbox: Database, vk: FakeVK
) -> None:
    vk.block_messages(CITIZEN)
    async with outbox.write() as conn:
        citizen = await citizens.get_or_create(conn, "vk", str(CITIZEN))
    item_id = await enqueue(
        outbox, str(CITIZEN), message(from_plain("Ответ")), citizen_id=citizen.id
    )
    (item,) = await settle(outbox, [item_id])
    assert item.state is OutboxState.FAILED
    assert item.error is not None
    assert "901" in item.error
    assert len(vk.calls("messages.send")) == 1
    async with outbox.read() as conn:
        again = await citizens.get(conn, citizen.id)
    assert again is not None
    assert not again.reachable


async def test_captcha_parks_the_post_until_a_person_answers(outbox: Database, vk: FakeVK) -> None:
    vk.fail("wall.post", 14)
    item_id = await enqueue(outbox, "wall", message(from_plain("Объявление")))
    (item,) = await settle(outbox, [item_id])
    assert item.state is OutboxState.HELD
    hold = item.progress["hold"]
    assert hold["kind"] == "captcha"
    assert hold["img"].startswith(vk.base_url)
    assert vk.wall_posts() == []
    async with outbox.write() as conn:
        assert await store.resume_held(conn, item_id, {"key": vk.captcha_answer(hold["sid"])})
    await settle(outbox, [item_id])
    (item,) = await settle(outbox, [item_id])
    assert item.state is OutboxState.SENT, item.error
    assert len(vk.wall_posts()) == 1


async def test_wall_post_without_user_token_fails_clearly(
    sqlite_db: Database, tmp_path: Path, vk: FakeVK
) -> None:
    settings = settings_for(tmp_path, vk=vk, overrides={"vk": {"user_token": None}})
    async with running_outbox(sqlite_db, settings, ["vk"]):
        item_id = await enqueue(sqlite_db, "wall", message(from_plain("Пост")))
        (item,) = await settle(sqlite_db, [item_id])
    assert item.state is OutboxState.FAILED
    assert "GLASHATAI_VK__USER_TOKEN" in (item.error or "")
    assert vk.calls("wall.post") == []


async def test_our_vk_calls_match_the_spec(outbox: Database, vk: FakeVK) -> None:
    if not (SPECS / "vk").is_dir():
        pytest.skip("../shared/specs/vk is not there")
    methods: dict[str, set[str]] = {}
    for section in (SPECS / "vk").iterdir():
        path = section / "methods.json"
        if path.is_file():
            for m in json.loads(path.read_text())["methods"]:
                methods[m["name"]] = {p["name"] for p in m.get("parameters", [])}
    async with outbox.write() as conn:
        [photo] = await media.add_all(conn, MediaOwner.POST, 1, [photo_file("a.png")])
    ids = [
        await enqueue(outbox, "wall", message(from_plain("Пост"), media=[photo])),
        await enqueue(outbox, str(CITIZEN), message(from_plain("Ответ"), media=[photo])),
    ]
    await settle(outbox, ids)
    common = {"v", "access_token", "captcha_sid", "captcha_key"}
    for call in vk.calls():
        name = call["method"]
        assert name in methods, name
        unknown = set(call["params"]) - methods[name] - common
        assert not unknown, f"{name}: {unknown}"


@pytest.mark.parametrize(("minutes", "resumed"), [(2, True), (90, False)])
async def test_a_message_out_longer_than_vk_remembers_is_not_resent_blindly(
    sqlite_db: Database, settings: Settings, vk: FakeVK, minutes: int, resumed: bool
) -> None:
    """VK drops a message repeating a ``random_id`` only within an hour of the first: a
    message whose call went out 90 minutes before the process died may be sent twice if
    resumed, so it is ``unknown``, shown to a person; one out 2 minutes ago is resumed."""
    item_id = await enqueue(sqlite_db, str(CITIZEN), message(from_plain("Ответ")))
    # What a process killed during the call leaves: the row sending, its step in flight.
    out = {store.INFLIGHT: "text0", store.INFLIGHT_AT: time.time() - minutes * 60}
    async with sqlite_db.write() as conn:
        await store.finish(conn, item_id, OutboxState.SENDING, progress=out)
    async with running_outbox(sqlite_db, settings, ["vk"]):
        (item,) = await settle(sqlite_db, [item_id])
    if resumed:
        assert item.state is OutboxState.SENT, item.error
        assert len(vk.messages(CITIZEN)) == 1
    else:
        assert item.state is OutboxState.UNKNOWN
        assert "text0" in (item.error or "")
        assert vk.messages(CITIZEN) == []
