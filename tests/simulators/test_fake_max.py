"""The fake MAX Bot API, driven by the real ``maxapi`` library and by raw HTTP."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from maxapi import Bot, Dispatcher
from maxapi.enums.parse_mode import TextFormat
from maxapi.enums.upload_type import UploadType
from maxapi.exceptions.max import InvalidToken, MaxApiError
from maxapi.types.attachments.buttons.callback_button import CallbackButton
from maxapi.types.input_media import InputMediaBuffer
from maxapi.types.updates.bot_started import BotStarted
from maxapi.types.updates.message_callback import MessageCallback
from maxapi.types.updates.message_created import MessageCreated
from maxapi.utils.inline_keyboard import InlineKeyboardBuilder

from simulators.max import FakeMax
from simulators.max import spec as max_spec
from simulators.max.text import visible
from simulators.vk.media import png_bytes
from simulators.waiting import wait

REPO = Path(__file__).resolve().parents[2]
CITIZEN = 5001


@pytest.fixture
def fake() -> Iterator[FakeMax]:
    with FakeMax() as server:
        yield server
        assert server.internal_errors == []


@pytest.fixture
async def bot(fake: FakeMax) -> AsyncIterator[Bot]:
    # maxapi waits 2 s after an upload and between attachment.not.ready retries; the fake
    # needs no real processing time, so the waits are shortened (the retry count is not).
    client = Bot(fake.token, after_input_media_delay=0.01, after_upload_retry_delay=0.01)
    client.set_api_url(fake.base_url)
    yield client
    await client.close_session()


async def raw(
    fake: FakeMax,
    verb: str,
    path: str,
    body: Any = None,
    token: str | None = "default",
    **query: Any,
) -> tuple[int, Any]:
    """One request without maxapi: status and JSON answer."""
    headers = {"Authorization": fake.token if token == "default" else token} if token else {}
    params = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in query.items()}
    async with (
        aiohttp.ClientSession() as session,
        session.request(
            verb, fake.base_url + path, params=params, json=body, headers=headers
        ) as response,
    ):
        return response.status, await response.json(content_type=None)


# -- the schema ------------------------------------------------------------------------


def test_the_schema_is_read_not_copied() -> None:
    ids = {op.operation_id for op in max_spec.operations()}
    assert {"sendMessage", "editMessage", "getUpdates", "getUploadUrl"} <= ids
    assert not list((REPO / "tests").rglob("schema.yaml"))


def test_validator_names_unknown_and_malformed_fields() -> None:
    op = max_spec.operation_by_id("sendMessage")
    assert max_spec.check_body(op, {"text": "hi", "attachments": []}) == []
    assert max_spec.check_body(op, {"text": "hi", "colour": "red"}) == [
        "body.colour: not in the schema"
    ]
    assert max_spec.check_body(op, {"text": 5}) == ["body.text: expected string, got int"]
    assert max_spec.check_body(op, {"text": "x", "format": "bbcode"})[0].startswith("body.format")
    keyboard = {"type": "inline_keyboard", "payload": {"buttons": [[{"type": "callback"}]]}}
    assert max_spec.check_body(op, {"text": "x", "attachments": [keyboard]}) == [
        "body.attachments[0].payload.buttons[0][0].payload: required",
        "body.attachments[0].payload.buttons[0][0].text: required",
    ]
    assert max_spec.check_query(op, {"chat_id": "abc", "foo": "1"}) == [
        "query 'foo': not a parameter of sendMessage",
        "query 'chat_id': 'abc' is not an integer",
    ]


def test_the_fakes_answers_are_checked_too() -> None:
    op = max_spec.operation_by_id("getUpdates")
    started = {"update_type": "bot_started", "timestamp": 1}
    assert max_spec.check_answer(op, 200, {"updates": [started], "marker": 2}) == [
        "answer.updates[0].chat_id: required",
        "answer.updates[0].user: required",
    ]
    # answers may carry fields the schema does not name (MAX adds fields over time)
    me = max_spec.operation_by_id("getMyInfo")
    bot = {"user_id": 1, "first_name": "b", "last_name": None, "username": None}
    bot |= {"is_bot": True, "last_activity_time": 0, "new_field": 1}
    assert max_spec.check_answer(me, 200, bot) == []


async def test_unknown_path_field_and_query_are_violations(fake: FakeMax) -> None:
    status, body = await raw(fake, "GET", "/nowhere")
    assert (status, body["code"]) == (404, "not.found")
    status, _ = await raw(fake, "PATCH", "/messages")
    assert status == 405
    status, body = await raw(fake, "POST", "/messages", {"text": "x", "bold": True}, chat_id=1)
    assert (status, body["code"]) == (400, "proto.payload")
    status, _ = await raw(fake, "GET", "/me", verbose=1)
    assert status == 400
    assert len(fake.violations) == 4
    assert "body.bold: not in the schema" in fake.violations[2]


async def test_token_only_in_the_authorization_header(fake: FakeMax) -> None:
    status, body = await raw(fake, "GET", "/me", token=None)
    assert (status, body) == (401, {"code": "verify.token", "message": "Invalid access_token"})
    status, body = await raw(fake, "GET", "/me", token=None, access_token=fake.token)
    assert status == 401
    assert fake.violations
    assert "Authorization" in fake.violations[0]


# -- maxapi ------------------------------------------------------------------------------


async def test_get_me_and_a_wrong_token(fake: FakeMax, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.is_bot
    assert me.username == "glashatai_test_bot"
    stranger = Bot("not-the-token")
    stranger.set_api_url(fake.base_url)
    with pytest.raises(InvalidToken):
        await stranger.get_me()
    await stranger.close_session()
    assert fake.violations == []


async def test_send_html_to_the_channel(fake: FakeMax, bot: Bot) -> None:
    sent = await bot.send_message(
        chat_id=fake.channel_id,
        text='<b>Важно</b>: <a href="https://example.org">ссылка</a> &lt;3 <span>x</span>',
        format=TextFormat.HTML,
    )
    assert sent is not None
    [stored] = fake.channel_messages()
    assert stored["mid"] == sent.message.body.mid
    assert stored["text"] == "Важно: ссылка <3 x"
    assert {"type": "strong", "from": 0, "length": 5} in stored["markup"]
    assert {"type": "link", "from": 7, "length": 6, "url": "https://example.org"} in stored[
        "markup"
    ]
    assert fake.violations == []


async def test_long_text_is_refused_after_parsing(fake: FakeMax, bot: Bot) -> None:
    # maxapi itself refuses 4,000 raw characters, markup included, before sending anything
    with pytest.raises(ValueError, match="4000"):
        await bot.send_message(chat_id=fake.channel_id, text="а" * 4000)
    assert fake.calls("sendMessage") == []
    status, body = await raw(
        fake, "POST", "/messages", {"text": "б" * 4001}, chat_id=fake.channel_id
    )
    assert (status, body["code"]) == (400, "proto.payload")
    # 4,000 visible characters inside bold tags are within MAX's limit (the raw text is not)
    html = {"text": "<b>" + "в" * 4000 + "</b>", "format": "html"}
    status, _ = await raw(fake, "POST", "/messages", html, chat_id=fake.channel_id)
    assert status == 200
    assert len(fake.channel_messages()[0]["text"]) == 4000
    assert fake.stats()["too_long"] == 1


async def test_upload_not_ready_then_sent(fake: FakeMax, bot: Bot) -> None:
    fake.not_ready_attempts = 2
    photo = InputMediaBuffer(png_bytes(40, 30), filename="photo.png")
    document = InputMediaBuffer(b"%PDF-1.4 release", filename="release.pdf", type=UploadType.FILE)
    sent = await bot.send_message(
        chat_id=fake.channel_id, text="Релиз", attachments=[photo, document]
    )
    assert sent is not None
    refused = [c for c in fake.calls("sendMessage") if c["code"] == "attachment.not.ready"]
    assert len(refused) == 2
    [stored] = fake.channel_messages()
    kinds = [a["type"] for a in stored["attachments"]]
    assert kinds == ["image", "file"]
    assert stored["attachments"][1]["filename"].startswith("release")
    assert fake.uploaded(stored["attachments"][0]["payload"]["token"]) == png_bytes(40, 30)
    assert fake.violations == []


async def test_edit_and_delete(fake: FakeMax, bot: Bot) -> None:
    sent = await bot.send_message(chat_id=fake.channel_id, text="первый")
    assert sent is not None
    mid = sent.message.body.mid
    await bot.edit_message(mid, text="<i>второй</i>", format=TextFormat.HTML)
    [stored] = fake.channel_messages()
    assert (stored["text"], stored["edits"]) == ("второй", 1)
    await bot.delete_message(mid)
    assert fake.channel_messages() == []
    with pytest.raises(MaxApiError) as refused:
        await bot.delete_message(mid)
    assert refused.value.code == 404
    assert fake.violations == []


async def test_maxapi_edit_drops_the_photos(fake: FakeMax, bot: Bot) -> None:
    """The trap issue 10 names: maxapi's edit always sends ``attachments: []``."""
    fake.not_ready_attempts = 0
    photo = InputMediaBuffer(png_bytes(20, 20), filename="p.png")
    sent = await bot.send_message(chat_id=fake.channel_id, text="фото", attachments=[photo])
    assert sent is not None
    await bot.edit_message(sent.message.body.mid, text="исправлено")
    [edit] = fake.calls("editMessage")
    assert edit["body"]["attachments"] == []
    [stored] = fake.channel_messages()
    assert stored["text"] == "исправлено"
    assert stored["attachments"] == []
    assert stored["history"][0]["attachments"][0]["type"] == "image"
    # the way round: edit through the API with the photo's token sent again
    token = stored["history"][0]["attachments"][0]["payload"]["token"]
    again = {"text": "исправлено", "attachments": [{"type": "image", "payload": {"token": token}}]}
    status, _ = await raw(fake, "PUT", "/messages", again, message_id=sent.message.body.mid)
    assert status == 200
    assert fake.channel_messages()[0]["attachments"][0]["payload"]["token"] == token
    assert fake.violations == []


async def test_long_polling_with_marker(fake: FakeMax, bot: Bot) -> None:
    fake.bot_started(CITIZEN, payload="hotline-3")
    first = await bot.get_updates(timeout=0)
    [started] = first["updates"]
    assert started["update_type"] == "bot_started"
    assert started["payload"] == "hotline-3"
    marker = first["marker"]

    async def later() -> None:
        await wait(lambda: fake.calls("getUpdates")[-1]["status"] == 0)
        fake.user_message(CITIZEN, "<b>не разметка</b>")

    task = asyncio.create_task(later())
    second = await bot.get_updates(marker=marker, timeout=10)
    await task
    [created] = second["updates"]
    assert created["message"]["body"]["text"] == "<b>не разметка</b>"
    # a restart with the saved marker sees nothing again; without it, nothing unacknowledged
    again = await bot.get_updates(marker=second["marker"], timeout=0)
    assert again["updates"] == []
    assert (await bot.get_updates(timeout=0))["updates"] == []
    only = await bot.get_updates(timeout=0, marker=1, types=["bot_started"])
    assert [u["update_type"] for u in only["updates"]] == ["bot_started"]
    assert fake.violations == []


async def test_callback_answer(fake: FakeMax, bot: Bot) -> None:
    fake.bot_started(CITIZEN)
    keyboard = {
        "type": "inline_keyboard",
        "payload": {"buttons": [[{"type": "callback", "text": "Согласен", "payload": "consent"}]]},
    }
    status, _ = await raw(
        fake, "POST", "/messages", {"text": "Согласие?", "attachments": [keyboard]}, user_id=CITIZEN
    )
    assert status == 200
    update = fake.press(CITIZEN, "Согласен")
    callback_id = update["callback"]["callback_id"]
    assert update["callback"]["payload"] == "consent"
    await bot.send_callback(callback_id, notification="Спасибо")
    [answer] = fake.answers()
    assert (answer["callback_id"], answer["notification"]) == (callback_id, "Спасибо")
    with pytest.raises(MaxApiError):
        await bot.send_callback(callback_id, notification="ещё раз")
    assert fake.violations == []


async def test_a_maxapi_dispatcher_runs_a_dialogue(fake: FakeMax, bot: Bot) -> None:
    """What the MAX platform will do: long polling through maxapi's dispatcher."""
    dp = Dispatcher()
    seen: list[str] = []

    @dp.bot_started()
    async def started(event: BotStarted) -> None:
        seen.append(f"start:{event.payload}")
        keyboard = InlineKeyboardBuilder().row(CallbackButton(text="Да", payload="yes"))
        await event.bot.send_message(
            user_id=event.user.user_id, text="Согласны?", attachments=[keyboard.as_markup()]
        )

    @dp.message_callback()
    async def tapped(event: MessageCallback) -> None:
        seen.append(f"tap:{event.callback.payload}")
        await event.answer(notification="Принято")

    @dp.message_created()
    async def wrote(event: MessageCreated) -> None:
        seen.append(f"text:{event.message.body.text}")

    polling = asyncio.create_task(dp.start_polling(bot))
    fake.bot_started(CITIZEN, payload="hotline-1")
    await wait(lambda: fake.dialog_messages(CITIZEN), describe=fake.calls)
    fake.press(CITIZEN, "Да")
    await wait(fake.answers)
    fake.user_message(CITIZEN, "вопрос")
    await wait(lambda: len(seen) == 3, describe=lambda: seen)
    await dp.stop_polling()
    await polling
    assert seen == ["start:hotline-1", "tap:yes", "text:вопрос"]
    assert fake.answers()[0]["notification"] == "Принято"
    assert fake.pending_updates() == []
    assert fake.violations == []


async def test_blocked_citizen(fake: FakeMax, bot: Bot) -> None:
    fake.bot_started(CITIZEN)
    await bot.send_message(user_id=CITIZEN, text="Здравствуйте")
    fake.block_bot(CITIZEN)
    with pytest.raises(MaxApiError) as refused:
        await bot.send_message(user_id=CITIZEN, text="Ответ")
    assert refused.value.code == 403
    assert isinstance(refused.value.raw, dict)
    assert refused.value.raw["code"] == "chat.denied"
    assert "error.dialog.suspended" in refused.value.raw["message"]
    assert len(fake.dialog_messages(CITIZEN)) == 1


async def test_rate_limit_answers_429(fake: FakeMax, bot: Bot) -> None:
    fake.pin_clock(1000.0)
    results = await asyncio.gather(*(bot.get_me() for _ in range(45)), return_exceptions=True)
    refused = [r for r in results if isinstance(r, MaxApiError)]
    assert refused
    assert all(r.code == 429 for r in refused)
    assert refused[0].raw == {"code": "too.many.requests", "message": "Too many requests"}
    assert len(results) - len(refused) == 30
    assert fake.stats()["rate_limited"] == len(refused)
    fake.pin_clock(1001.0)
    assert (await bot.get_me()).is_bot
    fake.pin_clock(None)


async def test_faults_5xx_429_and_timeout_after_accept(fake: FakeMax, bot: Bot) -> None:
    fake.fail("sendMessage", 429, "too.many.requests", "Too many requests")
    with pytest.raises(MaxApiError) as refused:
        await bot.send_message(chat_id=fake.channel_id, text="x")
    assert refused.value.code == 429
    fake.fail("getMyInfo", 500)
    with pytest.raises(MaxApiError):
        await bot.get_me()
    fake.fail_timeout_after_accept("sendMessage", delay=5)
    status = None
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=0.5)) as session:
        with pytest.raises(asyncio.TimeoutError):
            async with session.post(
                fake.base_url + "/messages",
                params={"chat_id": str(fake.channel_id)},
                json={"text": "принято"},
                headers={"Authorization": fake.token},
            ) as response:
                status = response.status
    assert status is None
    assert [m["text"] for m in fake.channel_messages()] == ["принято"]


async def test_channel_rights_for_check(fake: FakeMax, bot: Bot) -> None:
    chat = await bot.get_chat_by_id(fake.channel_id)
    assert chat.type == "channel"
    member = await bot.get_me_from_chat(fake.channel_id)
    assert member.is_admin
    assert "write" in [str(p) for p in member.permissions or []]
    fake.set_channel_rights(False)
    member = await bot.get_me_from_chat(fake.channel_id)
    assert not member.is_admin
    with pytest.raises(MaxApiError) as refused:
        await bot.send_message(chat_id=fake.channel_id, text="x")
    assert refused.value.code == 403
    assert fake.violations == []


async def test_citizen_photo_and_file(fake: FakeMax) -> None:
    update = fake.user_message(
        CITIZEN, "фото", [("image", png_bytes(10, 10)), ("file", b"doc", "a.txt")]
    )
    attachments = update["message"]["body"]["attachments"]
    assert [a["type"] for a in attachments] == ["image", "file"]
    async with (
        aiohttp.ClientSession() as session,
        session.get(attachments[0]["payload"]["url"]) as response,
    ):
        assert await response.read() == png_bytes(10, 10)


def test_visible_text_of_formats() -> None:
    assert visible("<b>a</b><script>b</script>", "html")[0] == "ab"
    assert visible("**жирный** и [ссылка](https://x.ru)", "markdown") == (
        "жирный и ссылка",
        [
            {"type": "strong", "from": 0, "length": 6},
            {"type": "link", "from": 9, "length": 6, "url": "https://x.ru"},
        ],
    )
    assert visible("<b>x</b>", None) == ("<b>x</b>", [])


def test_runs_by_hand() -> None:
    command = [sys.executable, "-m", "simulators.max", "--port", "0"]
    with subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            info = json.loads(process.stdout.readline())
            assert info["base_url"].startswith("http://127.0.0.1:")
        finally:
            process.terminate()
            process.wait(10)
