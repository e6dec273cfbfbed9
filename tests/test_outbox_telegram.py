"""The outbox against the fake Bot API: paced, retried, exactly once or marked unknown."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from config import Settings
from shared.delivered import Delivered
from shared.domain import OutboxAction, OutboxState
from shared.outbox import store
from shared.outbox.model import OutboxMessage
from shared.outbox.payload import Button, delete, edit, message
from shared.richtext import Document, Span, from_plain, join, paragraph
from shared.storage import citizens, media
from shared.storage.engine import Database
from shared.storage.media import MediaOwner
from simulators.telegram import FakeTelegram
from tests.conftest import SPECS
from tests.harness import (
    ADMIN_CHAT,
    pdf_file,
    photo_file,
    prepare_telegram,
    running_outbox,
    settings_for,
    settle,
)

CITIZEN = 424242
HOSTILE = "<script>alert(1)</script> <b>unbalanced & bare &amp; {{ x }} *_[ עברית 🎉"


@pytest.fixture
def tg() -> Iterator[FakeTelegram]:
    with FakeTelegram() as fake:
        prepare_telegram(fake)
        fake.add_user(CITIZEN, "Анна")
        yield fake
        assert fake.internal_errors == []


@pytest.fixture
def settings(tmp_path: Path, tg: FakeTelegram) -> Settings:
    return settings_for(tmp_path, tg=tg)


@pytest.fixture
async def outbox(sqlite_db: Database, settings: Settings) -> AsyncIterator[Database]:
    async with running_outbox(sqlite_db, settings, ["telegram"]):
        yield sqlite_db


async def enqueue(db: Database, destination: int | str, payload: dict[str, Any], **kw: Any) -> int:
    action = kw.pop("action", OutboxAction.SEND)
    async with db.write() as conn:
        return await store.enqueue(
            conn, OutboxMessage("telegram", action, str(destination), payload, **kw)
        )


def sends(tg: FakeTelegram, method: str = "sendMessage") -> list[dict[str, Any]]:
    return [r for r in tg.requests(method) if r["ok"]]


async def test_429_is_honoured_and_the_message_sent_exactly_once(
    outbox: Database, tg: FakeTelegram
) -> None:
    tg.fail("sendMessage", "429", times=2, retry_after=1)
    item_id = await enqueue(outbox, CITIZEN, message(from_plain("Ваш вопрос принят")))
    (item,) = await settle(outbox, [item_id])
    assert item.state is OutboxState.SENT, item.error
    assert len(tg.messages(CITIZEN)) == 1
    log = tg.requests("sendMessage")
    assert [r["status"] for r in log] == [429, 429, 200]
    assert log[1]["time"] - log[0]["time"] >= 1.0
    assert log[2]["time"] - log[1]["time"] >= 1.0


@pytest.mark.parametrize("kind", ["500", "502"])
async def test_server_errors_are_retried(outbox: Database, tg: FakeTelegram, kind: str) -> None:
    tg.fail("sendMessage", kind, times=2)
    item_id = await enqueue(outbox, CITIZEN, message(from_plain("Ответ")))
    (item,) = await settle(outbox, [item_id])
    assert item.state is OutboxState.SENT, item.error
    assert len(tg.messages(CITIZEN)) == 1
    assert item.attempts == 2


async def test_blocked_user_is_unreachable_and_not_retried(
    outbox: Database, tg: FakeTelegram
) -> None:
    tg.block(CITIZEN)
    async with outbox.write() as conn:
        citizen = await citizens.get_or_create(conn, "telegram", str(CITIZEN))
    item_id = await enqueue(outbox, CITIZEN, message(from_plain("Ответ")), citizen_id=citizen.id)
    (item,) = await settle(outbox, [item_id])
    assert item.state is OutboxState.FAILED
    assert "blocked" in (item.error or "")
    assert len(tg.requests("sendMessage")) == 1
    async with outbox.read() as conn:
        again = await citizens.get(conn, citizen.id)
    assert again is not None
    assert not again.reachable


async def test_timeout_after_accept_is_unknown_and_never_resent(
    outbox: Database, tg: FakeTelegram
) -> None:
    tg.fail("sendMessage", "timeout_after_accept", delay=6)
    item_id = await enqueue(outbox, CITIZEN, message(from_plain("Ответ")))
    (item,) = await settle(outbox, [item_id], timeout=20)
    assert item.state is OutboxState.UNKNOWN
    assert len(tg.messages(CITIZEN)) == 1
    async with outbox.write() as conn:
        assert await store.resolve_unknown(conn, item_id, delivered=True)
    async with outbox.read() as conn:
        final = await store.get(conn, item_id)
    assert final is not None
    assert final.state is OutboxState.SENT
    assert len(tg.requests("sendMessage")) == 1


async def test_bad_request_fails_at_once_with_the_reason(
    outbox: Database, tg: FakeTelegram
) -> None:
    item_id = await enqueue(outbox, -100777, message(from_plain("В никуда")))
    (item,) = await settle(outbox, [item_id])
    assert item.state is OutboxState.FAILED
    assert "chat not found" in (item.error or "")
    assert len(tg.requests("sendMessage")) == 1


async def test_album_with_long_hostile_text(outbox: Database, tg: FakeTelegram) -> None:
    async with outbox.write() as conn:
        photos = await media.add_all(
            conn, MediaOwner.POST, 1, [photo_file(f"{i}.png") for i in range(3)]
        )
    body = join(
        Document(
            (
                paragraph(
                    Span("Заголовок", bold=True),
                    " ",
                    Span("ссылка", link="https://example.ru/?a=1&b=2"),
                ),
            )
        ),
        from_plain(HOSTILE),
        from_plain("\n\n".join(f"Абзац {i}. " + "Текст новости. " * 20 for i in range(20))),
        from_plain("Ж" * 5000),
    )
    item_id = await enqueue(outbox, ADMIN_CHAT, message(body, media=photos))
    (item,) = await settle(outbox, [item_id], timeout=30)
    assert item.state is OutboxState.SENT, item.error
    sent = tg.messages(ADMIN_CHAT)
    assert [m.get("media_group_id") is not None for m in sent[:3]] == [True] * 3
    texts = [m["text"] for m in sent[3:]]
    assert len(texts) >= 3
    assert all(len(t.encode("utf-16-le")) // 2 <= 4096 for t in texts)
    joined = "".join(texts)
    assert HOSTILE in joined
    assert joined.count("Ж") == 5000
    async with outbox.read() as conn:
        stored = await media.get(conn, photos[0])
    assert stored is not None
    assert stored.refs.get("telegram_file_id")


async def test_photo_with_caption_and_buttons_then_edit_and_delete(
    outbox: Database, tg: FakeTelegram
) -> None:
    async with outbox.write() as conn:
        [photo] = await media.add_all(conn, MediaOwner.QUESTION, 1, [photo_file()])
    buttons = [[Button("Ответить", token="t1"), Button("Отклонить", token="t2")]]
    first = await enqueue(
        outbox,
        ADMIN_CHAT,
        message(from_plain("Вопрос №1: <b>как</b>?"), media=[photo], buttons=buttons),
    )
    (item,) = await settle(outbox, [first])
    assert item.state is OutboxState.SENT, item.error
    made = Delivered.from_dict(item.result)
    assert made is not None
    (message_id,) = [int(i) for i in made.ids()]
    card = tg.message(ADMIN_CHAT, message_id)
    assert card is not None
    assert card["caption"] == "Вопрос №1: <b>как</b>?"
    assert card["reply_markup"]["inline_keyboard"][0][1]["callback_data"] == "t2"

    changed = await enqueue(
        outbox,
        ADMIN_CHAT,
        edit([message_id], from_plain("Вопрос №1 — отвечен"), caption=True),
        action=OutboxAction.EDIT,
    )
    same = await enqueue(
        outbox,
        ADMIN_CHAT,
        edit([message_id], from_plain("Вопрос №1 — отвечен"), caption=True),
        action=OutboxAction.EDIT,
    )
    items = await settle(outbox, [changed, same])
    assert [i.state for i in items] == [OutboxState.SENT, OutboxState.SENT]
    card = tg.message(ADMIN_CHAT, message_id)
    assert card is not None
    assert card["caption"] == "Вопрос №1 — отвечен"

    gone = await enqueue(outbox, ADMIN_CHAT, delete([message_id]), action=OutboxAction.DELETE)
    again = await enqueue(outbox, ADMIN_CHAT, delete([message_id]), action=OutboxAction.DELETE)
    items = await settle(outbox, [gone, again])
    assert [i.state for i in items] == [OutboxState.SENT, OutboxState.SENT]
    card = tg.message(ADMIN_CHAT, message_id)
    assert card is not None
    assert card["deleted"]


async def test_our_telegram_calls_match_the_spec(outbox: Database, tg: FakeTelegram) -> None:
    spec_path = SPECS / "telegram-bot-api.json"
    if not spec_path.is_file():
        pytest.skip("../shared/specs/telegram-bot-api.json is not there")
    spec = json.loads(spec_path.read_text())["methods"]
    async with outbox.write() as conn:
        photo, doc = await media.add_all(conn, MediaOwner.POST, 1, [photo_file(), pdf_file()])
    ids = [
        await enqueue(outbox, ADMIN_CHAT, message(from_plain("a"), media=[photo, photo, doc])),
        await enqueue(
            outbox,
            CITIZEN,
            message(from_plain("b"), reply_to=1, buttons=[[Button("x", token="y")]]),
        ),
    ]
    await settle(outbox, ids)
    for request in tg.requests():
        name = request["method"]
        assert name in spec, name
        fields = {f["name"] for f in spec[name]["fields"]}
        values = " ".join(str(v) for v in request["params"].values())
        attached = {k for k in request["params"] if f"attach://{k}" in values}
        unknown = set(request["params"]) - fields - attached
        assert not unknown, f"{name}: {unknown}"
