"""The fake Telegram server against the real aiogram client and the Bot API spec."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaDocument,
    InputMediaPhoto,
    Message,
    ReplyParameters,
)

from simulators.telegram import DEFAULT_TOKEN, FakeTelegram, make_png
from simulators.telegram.html import parse_html, utf16_len
from simulators.telegram.limits import LimitConfig, RateLimiter
from simulators.telegram.methods import METHODS
from simulators.telegram.params import TYPE_FIELDS

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO.parent / "shared" / "specs" / "telegram-bot-api.json"
USER = 111
MODERATOR = 222
ADMIN_CHAT = -1001234567890
CHANNEL = -1009876543210
PNG = make_png(4, 3)


class ManualClock:
    """An injectable clock for the flood limits."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def tg(clock: ManualClock) -> Iterator[FakeTelegram]:
    """Limits off, so that tests of other rules may send freely; limit tests turn them on."""
    fake = FakeTelegram(clock=clock, limits=False)  # other rules; limit tests turn them on
    fake.add_user(USER, "Ivan", username="ivan")
    fake.add_user(MODERATOR, "Olga")
    fake.add_chat(ADMIN_CHAT, "supergroup", title="Press office", is_forum=True)
    fake.add_chat(CHANNEL, "channel", title="City news", username="city_news")
    fake.start()
    yield fake
    fake.stop()
    assert fake.internal_errors == []


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(tg.base_url or ""))
    bot = Bot(tg.token, session=session)
    yield bot
    await session.close()


async def raw_call(
    tg: FakeTelegram, method: str, token: str | None = None, **params: Any
) -> tuple[int, dict[str, Any]]:
    """POST urlencoded params without aiogram (to test what aiogram would never send)."""
    url = f"{tg.base_url}/bot{token or tg.token}/{method}"
    async with aiohttp.ClientSession() as http, http.post(url, data=params) as response:
        return response.status, await response.json()


def button(data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Go", callback_data=data)]]
    )


# --- basics ------------------------------------------------------------------


async def test_get_me_unknown_method_and_token(tg: FakeTelegram, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.is_bot
    assert me.username == "glashatai_test_bot"
    assert me.id == 123456

    status, body = await raw_call(tg, "sendPoll", chat_id=USER)
    assert (status, body) == (404, {"ok": False, "error_code": 404, "description": "Not Found"})
    status, body = await raw_call(tg, "GETME")
    assert status == 200
    assert body["result"]["id"] == 123456

    with pytest.raises(TelegramNotFound, match="Not Found"):
        await bot.send_poll(USER, "Q?", ["a", "b"])  # not implemented by the fake
    other = Bot("654321:WRONG-token", session=bot.session)
    with pytest.raises(TelegramUnauthorizedError, match="Unauthorized"):
        await other.get_me()
    assert tg.requests("getMe")[-1]["status"] == 401


async def test_required_fields_are_enforced(tg: FakeTelegram) -> None:
    for name, spec in METHODS.items():
        status, body = await raw_call(tg, spec.name)
        if name in ("getme", "getupdates", "deletewebhook"):
            assert status == 200, (name, body)
        else:
            assert (status, body["ok"]) == (400, False), (name, body)
    _, body = await raw_call(tg, "sendMessage", text="x")
    assert body["description"] == "Bad Request: chat_id is empty"
    _, body = await raw_call(tg, "sendMessage", chat_id=USER)
    assert body["description"] == "Bad Request: message text is empty"
    _, body = await raw_call(tg, "sendMessage", chat_id=-100555, text="x")
    assert body["description"] == "Bad Request: chat not found"


async def test_json_body_and_get_requests(tg: FakeTelegram) -> None:
    url = f"{tg.base_url}/bot{tg.token}/sendMessage"
    payload = {"chat_id": USER, "text": "<i>hi</i>", "parse_mode": "HTML"}
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json=payload) as response:
            body = await response.json()
        assert body["result"]["entities"] == [{"offset": 0, "length": 2, "type": "italic"}]
        async with http.get(url, params={"chat_id": str(USER), "text": "plain"}) as response:
            assert (await response.json())["result"]["text"] == "plain"


# --- text and HTML -------------------------------------------------------------


async def test_send_html_message_with_entities(tg: FakeTelegram, bot: Bot) -> None:
    html = (
        '<b>Bold</b> <i>it</i> &amp; <a href="https://example.com/?a=1&amp;b=2">link</a>\n'
        '<pre><code class="language-python">x = 1</code></pre>'
        "<blockquote expandable>quote</blockquote><tg-spoiler>s</tg-spoiler>"
    )
    sent = await bot.send_message(USER, html, parse_mode="HTML")
    assert sent.text == "Bold it & link\nx = 1quotes"
    kinds = [(e.type, e.offset, e.length, e.url, e.language) for e in sent.entities or []]
    assert kinds == [
        ("bold", 0, 4, None, None),
        ("italic", 5, 2, None, None),
        ("text_link", 10, 4, "https://example.com/?a=1&b=2", None),
        ("pre", 15, 5, None, "python"),
        ("expandable_blockquote", 20, 5, None, None),
        ("spoiler", 25, 1, None, None),
    ]
    second = await bot.send_message(USER, "<b>x</b> & y <tag>")  # no parse_mode: literal
    assert second.text == "<b>x</b> & y <tag>"
    assert second.entities is None
    assert second.message_id == sent.message_id + 1

    record = tg.messages(USER)[0]
    assert record["raw_text"] == html
    assert record["parse_mode"] == "HTML"
    assert record["text"] == sent.text
    assert record["deleted"] is False
    assert record["edits"] == 0
    assert record["from"]["is_bot"] is True


HTML_VIOLATIONS = [
    ("<script>x</script>", 'Unsupported start tag "script" at byte offset 0'),
    ("Привет <b>жирный", 'Can\'t find end tag corresponding to start tag "b"'),
    ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
    ("x</b>", "Unexpected end tag at byte offset 1"),
    ("Tom & Jerry", "Can't find end of the entity starting at byte offset 4"),
    ("a < b", 'Unsupported start tag "" at byte offset 2'),
    ('<span class="x">y</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ("<b", "Unclosed start tag at byte offset 0"),
]


async def test_html_violations_are_rejected(tg: FakeTelegram, bot: Bot) -> None:
    for text, description in HTML_VIOLATIONS:
        with pytest.raises(TelegramBadRequest) as error:
            await bot.send_message(USER, text, parse_mode="HTML")
        assert error.value.message == f"Bad Request: can't parse entities: {description}"
    assert tg.messages() == []


async def test_markdown_is_refused_and_strict_amp_can_be_relaxed(
    tg: FakeTelegram, bot: Bot
) -> None:
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(USER, "*bold*", parse_mode="MarkdownV2")
    tg.strict_amp = False
    sent = await bot.send_message(USER, "Tom & Jerry &lt;3", parse_mode="HTML")
    assert sent.text == "Tom & Jerry <3"


async def test_length_limits_count_visible_utf16(bot: Bot) -> None:
    assert (await bot.send_message(USER, "a" * 4096)).text == "a" * 4096
    sent = await bot.send_message(USER, f"<b>{'a' * 4096}</b>", parse_mode="HTML")
    assert sent.entities
    assert sent.entities[0].length == 4096
    await bot.send_message(USER, "😀" * 2048)  # 4096 UTF-16 code units
    for text in ("a" * 4097, "😀" * 2048 + "a", "&amp;" * 4097):
        with pytest.raises(TelegramBadRequest) as error:
            await bot.send_message(USER, text, parse_mode="HTML")
        assert error.value.message == "Bad Request: message is too long"
    for text in ("   \n", "<b></b>"):
        with pytest.raises(TelegramBadRequest) as error:
            await bot.send_message(USER, text, parse_mode="HTML")
        assert error.value.message == "Bad Request: message text is empty"

    photo = BufferedInputFile(PNG, "p.png")
    await bot.send_photo(USER, photo, caption="c" * 1024)
    with pytest.raises(TelegramBadRequest) as error:
        await bot.send_photo(USER, photo, caption="c" * 1025)
    assert error.value.message == "Bad Request: message caption is too long"


async def test_inline_keyboard_rules(bot: Bot) -> None:
    sent = await bot.send_message(USER, "ok", reply_markup=button("d" * 64))
    assert sent.reply_markup
    assert sent.reply_markup.inline_keyboard[0][0].callback_data == "d" * 64
    for data in ("d" * 65, "я" * 33):  # 65 and 66 bytes
        with pytest.raises(TelegramBadRequest) as error:
            await bot.send_message(USER, "x", reply_markup=button(data))
        assert error.value.message == "Bad Request: BUTTON_DATA_INVALID"
    text_only = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="t")]])
    with pytest.raises(TelegramBadRequest, match="Text buttons are unallowed"):
        await bot.send_message(USER, "x", reply_markup=text_only)
    bad_url = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="t", url="javascript:alert(1)")]]
    )
    with pytest.raises(TelegramBadRequest, match="BUTTON_URL_INVALID"):
        await bot.send_message(USER, "x", reply_markup=bad_url)


# --- media -------------------------------------------------------------------


async def test_photo_document_and_download(tg: FakeTelegram, bot: Bot) -> None:
    photo = await bot.send_photo(
        USER, BufferedInputFile(PNG, "p.png"), caption="<b>Photo</b>", parse_mode="HTML"
    )
    assert photo.photo
    assert (photo.photo[-1].width, photo.photo[-1].height) == (4, 3)
    assert photo.caption == "Photo"
    assert photo.caption_entities
    file = await bot.get_file(photo.photo[-1].file_id)
    assert file.file_path
    downloaded = await bot.download_file(file.file_path)
    assert downloaded is not None
    assert downloaded.read() == PNG

    again = await bot.send_photo(ADMIN_CHAT, photo.photo[-1].file_id)
    assert again.photo == photo.photo
    doc = await bot.send_document(USER, BufferedInputFile(b"%PDF-1.4 report", "report.pdf"))
    assert doc.document
    assert doc.document.file_name == "report.pdf"
    assert doc.document.mime_type == "application/pdf"
    assert tg.file_bytes(doc.document.file_id) == b"%PDF-1.4 report"

    form = aiohttp.FormData()
    form.add_field("chat_id", str(USER))
    form.add_field("photo", PNG, filename="direct.png")  # a part named like the field
    url = f"{tg.base_url}/bot{tg.token}/sendPhoto"
    async with aiohttp.ClientSession() as http, http.post(url, data=form) as response:
        assert (await response.json())["result"]["photo"][-1]["width"] == 4
    by_url = await bot.send_photo(USER, "https://example.com/photo.jpg")
    assert by_url.photo

    with pytest.raises(TelegramBadRequest, match="IMAGE_PROCESS_FAILED"):
        await bot.send_photo(USER, BufferedInputFile(b"not an image", "x.jpg"))
    with pytest.raises(TelegramBadRequest, match="can't use file of type Document as Photo"):
        await bot.send_photo(USER, doc.document.file_id)
    with pytest.raises(TelegramBadRequest, match="wrong file identifier/HTTP URL specified"):
        await bot.send_document(USER, "no-such-file-id")


async def test_media_group_rules(tg: FakeTelegram, bot: Bot) -> None:
    def photo(caption: str | None = None) -> InputMediaPhoto:
        return InputMediaPhoto(media=BufferedInputFile(PNG, "p.png"), caption=caption)

    album = await bot.send_media_group(ADMIN_CHAT, [photo("<b>one</b>"), photo()])
    assert len(album) == 2
    assert album[0].media_group_id == album[1].media_group_id
    assert album[0].caption == "<b>one</b>"
    assert album[1].caption is None
    assert [m["method"] for m in tg.messages(ADMIN_CHAT)] == ["sendMediaGroup"] * 2

    document = InputMediaDocument(media=BufferedInputFile(b"doc", "a.txt"))
    cases = [
        ([photo(), document], "Bad Request: document can't be mixed with other media types"),
        ([photo()] * 11, "Bad Request: too many messages to send as an album"),
        ([photo()], "Bad Request: media group must include 2-10 items"),
        ([photo("c" * 1025), photo()], "Bad Request: message caption is too long"),
    ]
    for media, description in cases:
        with pytest.raises(TelegramBadRequest) as error:
            await bot.send_media_group(ADMIN_CHAT, media)
        assert error.value.message == description
    docs = await bot.send_media_group(USER, [document, document])
    assert all(m.document for m in docs)


# --- edits, deletes, copies --------------------------------------------------


async def test_edit_and_delete_rules(tg: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(USER, "draft", reply_markup=button("a"))
    edited = await bot.edit_message_text("final", chat_id=USER, message_id=sent.message_id)
    assert not isinstance(edited, bool)
    assert edited.text == "final"
    assert edited.edit_date
    assert edited.reply_markup is None  # an edit without reply_markup drops the keyboard
    with pytest.raises(TelegramBadRequest, match="message is not modified: specified new"):
        await bot.edit_message_text("final", chat_id=USER, message_id=sent.message_id)
    markup = await bot.edit_message_reply_markup(
        chat_id=USER, message_id=sent.message_id, reply_markup=button("b")
    )
    assert not isinstance(markup, bool)
    assert markup.reply_markup
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=USER, message_id=999)

    photo = await bot.send_photo(USER, BufferedInputFile(PNG, "p.png"), caption="old")
    with pytest.raises(TelegramBadRequest) as error:
        await bot.edit_message_text("x", chat_id=USER, message_id=photo.message_id)
    assert error.value.message == "Bad Request: there is no text in the message to edit"
    caption = await bot.edit_message_caption(
        chat_id=USER, message_id=photo.message_id, caption="<i>new</i>", parse_mode="HTML"
    )
    assert not isinstance(caption, bool)
    assert caption.caption == "new"

    assert await bot.delete_message(USER, sent.message_id) is True
    for call in (
        bot.delete_message(USER, sent.message_id),
        bot.edit_message_text("y", chat_id=USER, message_id=sent.message_id),
    ):
        with pytest.raises(TelegramBadRequest, match=r"message to (delete|edit) not found"):
            await call
    record = tg.message(USER, sent.message_id)
    assert record
    assert record["deleted"] is True
    assert record["edits"] == 2
    assert record["text"] == "final"


async def test_copy_forward_and_replies(tg: FakeTelegram, bot: Bot) -> None:
    update = tg.user_message(USER, text="Яма на дороге", photo=PNG)
    incoming = update["message"]["message_id"]
    copied = await bot.copy_message(ADMIN_CHAT, USER, incoming, caption="Обращение #1")
    copy_record = tg.message(ADMIN_CHAT, copied.message_id)
    assert copy_record
    assert copy_record["caption"] == "Обращение #1"
    assert copy_record["photo"]
    forwarded = await bot.forward_message(ADMIN_CHAT, USER, incoming)
    assert forwarded.forward_origin
    assert forwarded.forward_origin.type == "user"

    reply = await bot.send_message(
        USER, "Принято", reply_parameters=ReplyParameters(message_id=incoming)
    )
    assert reply.reply_to_message
    assert reply.reply_to_message.message_id == incoming
    with pytest.raises(TelegramBadRequest, match="message to be replied not found"):
        await bot.send_message(USER, "x", reply_parameters=ReplyParameters(message_id=999))
    lenient = ReplyParameters(message_id=999, allow_sending_without_reply=True)
    assert (await bot.send_message(USER, "x", reply_parameters=lenient)).reply_to_message is None
    with pytest.raises(TelegramBadRequest, match="message to copy not found"):
        await bot.copy_message(ADMIN_CHAT, USER, 999)


# --- updates -----------------------------------------------------------------


async def test_long_poll_delivers_injected_updates(tg: FakeTelegram, bot: Bot) -> None:
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.2)  # nothing to wait for: the poll must still be open after a while
    assert not poll.done()
    text = tg.user_message(USER, text="/start")
    updates = await poll
    assert time.monotonic() - started < 2
    assert [u.update_id for u in updates] == [text["update_id"]]
    assert updates[0].message
    assert updates[0].message.text == "/start"

    sent = await bot.send_message(USER, "Выберите", reply_markup=button("cat:roads"))
    tg.user_message(USER, photo=PNG, caption="фото")
    tg.user_message(USER, text="ответ", reply_to_message_id=sent.message_id)
    pressed = tg.callback(USER, sent.message_id, USER, "cat:roads")
    with pytest.raises(ValueError, match="no button"):
        tg.callback(USER, sent.message_id, USER, "cat:other")

    updates = await bot.get_updates(offset=updates[-1].update_id + 1, timeout=1)
    assert len(updates) == 3
    photo_msg, reply_msg, query = updates[0].message, updates[1].message, updates[2].callback_query
    assert photo_msg
    assert photo_msg.photo
    assert photo_msg.caption == "фото"
    file = await bot.get_file(photo_msg.photo[-1].file_id)
    downloaded = await bot.download_file(file.file_path or "")
    assert downloaded is not None
    assert downloaded.read() == PNG
    assert reply_msg
    assert reply_msg.reply_to_message
    assert reply_msg.reply_to_message.message_id == sent.message_id
    assert query
    assert query.data == "cat:roads"
    assert query.id == pressed["callback_query"]["id"]
    assert query.message
    assert query.message.message_id == sent.message_id

    assert await bot.answer_callback_query(query.id, text="Спасибо") is True
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query.id)
    with pytest.raises(TelegramBadRequest, match="query ID is invalid"):
        await bot.answer_callback_query("12345")
    assert tg.answered_callbacks()[0]["text"] == "Спасибо"

    await bot.get_updates(offset=updates[-1].update_id + 1)
    assert tg.pending_updates() == []


async def test_a_persons_edit_is_an_edited_message_update(tg: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(ADMIN_CHAT, "Карточка")
    reply = tg.user_message(
        MODERATOR, ADMIN_CHAT, text="Ответ", reply_to_message_id=sent.message_id
    )
    original = reply["message"]["message_id"]
    edited = tg.edit_user_message(MODERATOR, original, ADMIN_CHAT, text="Ответ, исправленный")
    tg.edit_user_message(MODERATOR, original, ADMIN_CHAT, text="Ответ, исправленный")

    updates = await bot.get_updates(allowed_updates=["message", "edited_message"])
    assert [bool(u.message) for u in updates] == [True, False, False]
    first, second, same = (u.message or u.edited_message for u in updates)
    assert first is not None
    assert second is not None
    assert same is not None
    assert first.text == "Ответ", "the queued original is not rewritten"
    assert second.text == "Ответ, исправленный"
    assert second.message_id == original
    assert second.edit_date is not None
    assert second.reply_to_message is not None
    assert second.reply_to_message.message_id == sent.message_id
    assert same.text == second.text, "an edit that changes nothing still makes an update"
    assert edited["edited_message"]["text"] == "Ответ, исправленный"
    stored = tg.message(ADMIN_CHAT, original)
    assert stored is not None
    assert stored["text"] == "Ответ, исправленный"
    assert stored["edits"] == 2


async def test_a_persons_edit_is_refused_where_telegram_refuses_it(
    tg: FakeTelegram, bot: Bot
) -> None:
    sent = await bot.send_message(ADMIN_CHAT, "Карточка")
    text = tg.user_message(MODERATOR, ADMIN_CHAT, text="Ответ")["message"]["message_id"]
    photo = tg.user_message(MODERATOR, ADMIN_CHAT, photo=PNG)["message"]["message_id"]
    with pytest.raises(ValueError, match="not user"):
        tg.edit_user_message(MODERATOR, sent.message_id, ADMIN_CHAT, text="чужое")
    with pytest.raises(ValueError, match="not user"):
        tg.edit_user_message(USER, text, ADMIN_CHAT, text="чужое")
    with pytest.raises(ValueError, match="no message"):
        tg.edit_user_message(MODERATOR, 9999, ADMIN_CHAT, text="нет")
    with pytest.raises(ValueError, match="empty text"):
        tg.edit_user_message(MODERATOR, text, ADMIN_CHAT, text="  ")
    with pytest.raises(ValueError, match="edit its caption"):
        tg.edit_user_message(MODERATOR, photo, ADMIN_CHAT, text="подпись")
    with pytest.raises(ValueError, match="no caption"):
        tg.edit_user_message(MODERATOR, text, ADMIN_CHAT, caption="подпись")
    with pytest.raises(ValueError, match="either"):
        tg.edit_user_message(MODERATOR, text, ADMIN_CHAT)
    with pytest.raises(ValueError, match="at most 1024"):
        tg.edit_user_message(MODERATOR, photo, ADMIN_CHAT, caption="я" * 1025)
    captioned = tg.edit_user_message(MODERATOR, photo, ADMIN_CHAT, caption="подпись")
    assert captioned["edited_message"]["caption"] == "подпись"
    assert "text" not in captioned["edited_message"]
    await bot.delete_message(ADMIN_CHAT, sent.message_id)
    tg.set_admins(ADMIN_CHAT, [tg.bot_id])
    await bot.delete_message(ADMIN_CHAT, text)
    with pytest.raises(ValueError, match="no message"):
        tg.edit_user_message(MODERATOR, text, ADMIN_CHAT, text="после удаления")


async def test_edits_are_not_delivered_unless_allowed(tg: FakeTelegram, bot: Bot) -> None:
    tg.user_message(USER, text="вопрос")
    first = await bot.get_updates(allowed_updates=["message"])
    tg.edit_user_message(USER, first[0].message.message_id if first[0].message else 0, text="В")
    tg.user_message(USER, text="ещё")
    later = await bot.get_updates(offset=first[-1].update_id + 1)
    assert [u.message is not None for u in later] == [True]


async def test_aiogram_dispatcher_polls_the_fake(tg: FakeTelegram, bot: Bot) -> None:
    dp = Dispatcher()

    @dp.message()
    async def echo(message: Message) -> None:
        await message.answer(f"echo: {message.text}")

    polling = asyncio.create_task(
        dp.start_polling(bot, handle_signals=False, close_bot_session=False, polling_timeout=5)
    )
    tg.user_message(USER, text="привет")
    replies = await tg.wait_for(lambda: tg.messages(USER), timeout=5)
    assert replies[0]["text"] == "echo: привет"
    await dp.stop_polling()
    await polling
    assert await tg.wait_for(lambda: tg.pending_updates() == [])


async def test_allowed_updates_and_conflict(tg: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(USER, "q", reply_markup=button("x"))
    tg.user_message(USER, text="created before the filter: still delivered")
    early = await bot.get_updates(allowed_updates=["callback_query"])
    assert len(early) == 1
    tg.user_message(USER, text="dropped")
    tg.callback(USER, sent.message_id, USER, "x")
    updates = await bot.get_updates(offset=early[0].update_id + 1)
    assert [u.callback_query is not None for u in updates] == [True]

    offset = updates[-1].update_id + 1
    polls = len(tg.requests("getUpdates"))
    first = asyncio.create_task(bot.get_updates(timeout=5, offset=offset))
    # The first poll is read and waiting before the second one comes.
    await tg.wait_for(lambda: tg.requests("getUpdates")[polls:] and tg.requests()[-1]["params"])
    second = asyncio.create_task(bot.get_updates(timeout=5, offset=offset))
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates"):
        await first
    tg.user_message(MODERATOR, text="late")  # not a callback: filtered, poll keeps waiting
    tg.callback(USER, sent.message_id, USER, "x")
    assert len(await second) == 1


async def test_group_forum_and_channel(tg: FakeTelegram, bot: Bot) -> None:
    topic = tg.add_topic(ADMIN_CHAT, "Обращения")
    sent = await bot.send_message(ADMIN_CHAT, "Новое обращение", message_thread_id=topic)
    assert sent.message_thread_id == topic
    assert sent.is_topic_message
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await bot.send_message(ADMIN_CHAT, "x", message_thread_id=9999)
    update = tg.user_message(MODERATOR, ADMIN_CHAT, text="беру", message_thread_id=topic)
    assert update["message"]["reply_to_message"]["forum_topic_created"]["name"] == "Обращения"

    post = await bot.send_message("@city_news", "Новость")
    assert post.chat.id == CHANNEL
    assert post.sender_chat
    assert post.from_user is None
    tg.channel_post(CHANNEL, text="from admins")
    assert tg.pending_updates()[-1]["channel_post"]["text"] == "from admins"


async def test_chats_members_commands_actions(tg: FakeTelegram, bot: Bot) -> None:
    spam = tg.user_message(USER, ADMIN_CHAT, text="spam")["message"]["message_id"]
    with pytest.raises(TelegramBadRequest, match="message can't be deleted"):
        await bot.delete_message(ADMIN_CHAT, spam)  # not an admin yet
    tg.set_admins(ADMIN_CHAT, [MODERATOR, tg.bot_id], owner_id=333)
    admins = await bot.get_chat_administrators(ADMIN_CHAT)
    assert [(a.status, a.user.id) for a in admins] == [
        ("creator", 333),
        ("administrator", MODERATOR),
        ("administrator", tg.bot_id),
    ]
    assert await bot.delete_message(ADMIN_CHAT, spam)
    assert (await bot.get_chat_member(ADMIN_CHAT, MODERATOR)).status == "administrator"
    assert (await bot.get_chat_member(ADMIN_CHAT, USER)).status == "member"  # wrote there
    assert (await bot.get_chat_member(ADMIN_CHAT, 333)).status == "creator"
    chat = await bot.get_chat(ADMIN_CHAT)
    assert chat.title == "Press office"
    assert chat.is_forum

    from aiogram.types import BotCommand

    assert await bot.set_my_commands([BotCommand(command="start", description="Начать")])
    assert list(tg.commands().values()) == [[{"command": "start", "description": "Начать"}]]
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Bad-Command", description="x")])
    assert await bot.send_chat_action(USER, "typing")
    with pytest.raises(TelegramBadRequest, match="wrong parameter action"):
        await bot.send_chat_action(USER, "dancing")
    assert await bot.delete_webhook(drop_pending_updates=True)


# --- faults ------------------------------------------------------------------


async def test_injected_faults(tg: FakeTelegram, bot: Bot) -> None:
    tg.fail("sendMessage", "429", retry_after=7)
    with pytest.raises(TelegramRetryAfter) as retry:
        await bot.send_message(USER, "x")
    assert retry.value.retry_after == 7
    assert "Too Many Requests: retry after 7" in retry.value.message
    for kind in ("500", "502"):
        tg.fail("sendMessage", kind)
        with pytest.raises(TelegramServerError):
            await bot.send_message(USER, "x")
    tg.fail("sendMessage", "403", chat_id=MODERATOR)
    await bot.send_message(USER, "other chats are fine")
    with pytest.raises(TelegramForbiddenError):
        await bot.send_message(MODERATOR, "x")
    assert len(tg.messages()) == 1
    stats = tg.stats()
    assert stats["too_many_requests"] == 1
    assert stats["faults_injected"] == 4


async def test_timeout_after_accept_records_the_message(tg: FakeTelegram, bot: Bot) -> None:
    tg.fail("sendMessage", "timeout_after_accept", delay=10)
    started = time.monotonic()
    with pytest.raises(TelegramNetworkError, match="timeout"):
        await bot.send_message(USER, "доставлено?", request_timeout=1)
    assert time.monotonic() - started < 3
    assert [m["text"] for m in tg.messages(USER)] == ["доставлено?"]
    assert tg.requests("sendMessage")[-1]["fault"] == "timeout_after_accept"


async def test_blocked_user_and_kicked_bot(tg: FakeTelegram, bot: Bot) -> None:
    blocked = tg.block(USER)
    assert blocked["my_chat_member"]["new_chat_member"]["status"] == "kicked"
    with pytest.raises(TelegramForbiddenError) as error:
        await bot.send_message(USER, "x")
    assert error.value.message == "Forbidden: bot was blocked by the user"
    tg.unblock(USER)
    await bot.send_message(USER, "x")
    tg.kick_bot(ADMIN_CHAT, by_user_id=MODERATOR)
    with pytest.raises(TelegramForbiddenError, match="bot was kicked from the supergroup chat"):
        await bot.send_message(ADMIN_CHAT, "x")
    updates = await bot.get_updates()
    statuses = [u.my_chat_member.new_chat_member.status for u in updates if u.my_chat_member]
    assert statuses == ["kicked", "member", "left"]


# --- flood limits ------------------------------------------------------------


async def test_private_chat_burst_then_429(tg: FakeTelegram, bot: Bot, clock: ManualClock) -> None:
    tg.limits = True
    for _ in range(3):
        await bot.send_message(USER, "burst")
    with pytest.raises(TelegramRetryAfter) as error:
        await bot.send_message(USER, "one too many")
    assert error.value.retry_after == 1
    clock.advance(1)
    await bot.send_message(USER, "after the wait")
    for _ in range(10):  # a sender pacing itself at 1/s is never refused
        clock.advance(1)
        await bot.send_message(USER, "paced")
    assert tg.stats()["rate_limited"] == 1


async def test_group_sliding_minute(tg: FakeTelegram, bot: Bot, clock: ManualClock) -> None:
    tg.limits = True
    for i in range(20):
        await bot.send_message(ADMIN_CHAT, f"n{i}")
        clock.advance(1)
    with pytest.raises(TelegramRetryAfter) as error:
        await bot.send_message(ADMIN_CHAT, "21st")
    assert error.value.retry_after == 40  # the first of the 20 leaves the window at t=60
    clock.advance(40)
    await bot.send_message(ADMIN_CHAT, "room again")
    await bot.send_message(CHANNEL, "other chats have their own window")
    assert tg.stats()["too_many_requests"] == 1


async def test_album_items_count_and_limits_switch(
    tg: FakeTelegram, bot: Bot, clock: ManualClock
) -> None:
    tg.limits = True
    album = [InputMediaPhoto(media=BufferedInputFile(PNG, "p.png"))] * 10
    await bot.send_media_group(ADMIN_CHAT, album)
    await bot.send_media_group(ADMIN_CHAT, album)
    with pytest.raises(TelegramRetryAfter) as error:
        await bot.send_message(ADMIN_CHAT, "x")
    assert error.value.retry_after == 60
    tg.limits = False
    for _ in range(25):
        await bot.send_message(ADMIN_CHAT, "unlimited")
        await bot.send_message(USER, "unlimited")
    assert tg.stats()["too_many_requests"] == 1


def test_rate_limiter_units() -> None:
    clock = ManualClock()
    limiter = RateLimiter(LimitConfig(), clock)
    assert [limiter.acquire(-1, private=False) for _ in range(20)] == [0] * 20
    assert limiter.acquire(-1, private=False) == 60
    clock.advance(59.5)
    assert limiter.acquire(-1, private=False) == 1  # 0.5 s rounds up
    assert [limiter.acquire(5, private=True) for _ in range(4)] == [0, 0, 0, 1]
    clock.advance(0.5)
    assert limiter.acquire(5, private=True) == 1
    clock.advance(0.5)
    assert limiter.acquire(5, private=True) == 0
    clock.advance(1)
    assert limiter.acquire(-2, private=False, items=30) == 0  # global bucket now empty
    assert limiter.acquire(-3, private=False) == 1


# --- HTML parser -------------------------------------------------------------


def test_html_parser_details() -> None:
    text, entities = parse_html("😀<b>a&#x1F600;</b> <code>c</code>")
    assert text == "😀a😀 c"
    assert utf16_len(text) == 7
    assert entities == [
        {"offset": 2, "length": 3, "type": "bold"},
        {"offset": 6, "length": 1, "type": "code"},
    ]
    text, entities = parse_html('<a href="tg://user?id=7">Olga</a>', users={7: {"id": 7}})
    assert entities[0]["type"] == "text_mention"
    assert entities[0]["user"] == {"id": 7}
    _, entities = parse_html('<a href="not a url">x</a><tg-emoji emoji-id="5368">👍</tg-emoji>')
    assert [e["type"] for e in entities] == ["custom_emoji"]
    text, _ = parse_html("&lt;&gt;&quot;&amp;&#60;")
    assert text == '<>"&<'


async def test_text_is_trimmed_like_telegram(bot: Bot) -> None:
    sent = await bot.send_message(USER, "\n  <b>Заголовок</b>  \n\n", parse_mode="HTML")
    assert sent.text == "Заголовок"
    assert sent.entities
    assert (sent.entities[0].offset, sent.entities[0].length) == (0, 9)
    sent = await bot.send_message(USER, "<b> Заголовок</b>", parse_mode="HTML")
    assert sent.text == " Заголовок"  # leading spaces inside an entity are kept
    assert (await bot.send_message(USER, "\n\n текст \n")).text == "текст"


# --- outside asyncio -----------------------------------------------------------


def test_sync_use_and_command_line(tmp_path: Path) -> None:
    with FakeTelegram() as tg:
        tg.add_user(USER, "Ivan")
        request = urllib.request.Request(
            f"{tg.base_url}/bot{tg.token}/sendMessage",
            data=json.dumps({"chat_id": USER, "text": "sync"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert json.load(response)["result"]["text"] == "sync"
        assert tg.wait_for_sync(lambda: tg.messages(USER))[0]["text"] == "sync"
        with pytest.raises(TimeoutError):
            tg.wait_for_sync(lambda: tg.messages(MODERATOR), timeout=0.05)

    process = subprocess.Popen(
        [sys.executable, "-m", "simulators.telegram", "--port", "0", "--user", "5:Test"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        base = process.stdout.readline().strip()
        assert base.startswith("http://127.0.0.1:")
        url = f"{base}/bot{DEFAULT_TOKEN}/getChat?chat_id=5"
        with urllib.request.urlopen(url, timeout=5) as response:
            assert json.load(response)["result"]["first_name"] == "Test"
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


async def test_wait_for_helper(tg: FakeTelegram, bot: Bot) -> None:
    async def later() -> None:
        await asyncio.sleep(0.05)  # a send that comes later than the first look
        await bot.send_message(USER, "eventually")

    task = asyncio.create_task(later())
    messages = await tg.wait_for(lambda: tg.messages(USER), timeout=2)
    assert messages[0]["text"] == "eventually"
    await task


# --- the spec ----------------------------------------------------------------


def load_spec() -> dict[str, Any]:
    if not SPEC.exists():
        pytest.skip(f"Bot API spec not found at {SPEC}")
    return json.loads(SPEC.read_text(encoding="utf-8"))


def test_methods_and_fields_exist_in_the_spec() -> None:
    spec = load_spec()
    for spec_method in METHODS.values():
        assert spec_method.name in spec["methods"], spec_method.name
        real = spec["methods"][spec_method.name].get("fields", [])
        names = {field["name"] for field in real}
        assert spec_method.fields <= names, (spec_method.name, spec_method.fields - names)
        required = {field["name"] for field in real if field["required"]}
        assert required <= spec_method.fields, (spec_method.name, required - spec_method.fields)
    for type_name, fields in TYPE_FIELDS.items():
        real_type = {field["name"] for field in spec["types"][type_name].get("fields", [])}
        assert fields <= real_type, (type_name, fields - real_type)
