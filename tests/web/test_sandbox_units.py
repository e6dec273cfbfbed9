"""The sandbox page's pure parts: the HTML sanitiser and the simulators' records as bubbles."""

from __future__ import annotations

import pytest

from web.sandbox import bubbles
from web.sandbox.sanitize import sanitise


@pytest.mark.parametrize(
    ("html", "shown"),
    [
        ("<b>Вопрос №1</b> · <i>Отопление</i>", "<b>Вопрос №1</b> · <i>Отопление</i>"),
        ("<u>u</u><s>s</s><code>c</code>", "<u>u</u><s>s</s><code>c</code>"),
        ("<pre>p</pre>", "<pre>p</pre>"),
        ("<blockquote>цитата</blockquote>", "<blockquote>цитата</blockquote>"),
        # the bot escaped a citizen's markup: it stays text
        ("&lt;img src=x onerror=alert(1)&gt;", "&lt;img src=x onerror=alert(1)&gt;"),
        # markup the platforms do not format is shown as the text it is
        ('<img src=x onerror="alert(1)">', "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("<br/>", "&lt;br/&gt;"),
        ("<!-- x -->", "&lt;!-- x --&gt;"),
        ("a < b & c", "a &lt; b &amp; c"),
        # attributes go, except a link's safe address
        ('<b onclick="x()">b</b>', "<b>b</b>"),
        ('<a href="javascript:alert(1)">x</a>', "<a>x</a>"),
        (
            '<a href="https://town.example/?a=1&amp;b=&quot;">x</a>',
            '<a href="https://town.example/?a=1&amp;b=&quot;" rel="nofollow noopener noreferrer">'
            "x</a>",
        ),
        # unbalanced tags are closed, stray closings shown
        ("<b><i>x</b> y", "<b><i>x</i></b> y"),
        ("<b>open", "<b>open</b>"),
        ("</i>z", "&lt;/i&gt;z"),
    ],
)
def test_sanitise_keeps_the_platforms_tags_and_escapes_the_rest(html: str, shown: str) -> None:
    assert sanitise(html) == shown


def test_a_telegram_bot_message_is_sanitised_and_a_persons_is_plain() -> None:
    bot = {
        "message_id": 5,
        "outgoing": True,
        "text": "Вопрос <img>",
        "raw_text": "<b>Вопрос</b> &lt;img&gt;",
        "parse_mode": "HTML",
        "photo": [{"file_id": "small"}, {"file_id": "big/1"}],
        "reply_markup": {
            "inline_keyboard": [
                [{"text": "Взять", "callback_data": "q:1"}, {"text": "Сайт", "url": "https://x"}]
            ]
        },
        "edits": 1,
    }
    shown = bubbles.telegram(bot, 5001, "Бот")
    assert (shown.author, shown.mine, shown.html) == ("Бот", False, "<b>Вопрос</b> &lt;img&gt;")
    assert shown.photos == ["/sandbox/api/media/telegram?ref=big%2F1"]
    assert shown.buttons == [[bubbles.Button("Взять"), bubbles.Button("Сайт", "https://x")]]
    assert shown.edited
    person = {
        "message_id": 6,
        "outgoing": False,
        "from": {"id": 5001, "first_name": "Мария", "last_name": "Ш."},
        "text": "<b>не разметка</b>",
        "raw_text": "<b>не разметка</b>",
        "parse_mode": None,
        "reply_to_message": {"text": "Вопрос №1 · Отопление"},
    }
    mine = bubbles.telegram(person, 5001, "Бот")
    assert (mine.author, mine.mine, mine.html, mine.text) == (
        "Мария Ш.",
        True,
        None,
        "<b>не разметка</b>",
    )
    assert mine.reply_to == "Вопрос №1 · Отопление"


def test_max_and_vk_records() -> None:
    message = {
        "mid": "mid.1",
        "sender_id": 900000001,
        "text": "Ответ",
        "raw_text": "<b>Ответ</b>",
        "format": "html",
        "attachments": [
            {"type": "image", "payload": {"url": "http://127.0.0.1:1/media/abc"}},
            {
                "type": "inline_keyboard",
                "payload": {"buttons": [[{"type": "callback", "text": "Мои вопросы"}]]},
            },
        ],
        "deleted": True,
    }
    shown = bubbles.max_message(message, 700001, "Бот", "Ольга")
    assert (shown.html, shown.deleted, shown.mine) == ("<b>Ответ</b>", True, False)
    assert shown.photos == ["/sandbox/api/media/max?ref=%2Fmedia%2Fabc"]
    assert shown.buttons == [[bubbles.Button("Мои вопросы")]]
    keyboard = '{"buttons": [[{"action": {"type": "callback", "label": "Да", "payload": "{}"}}]]}'
    vk = bubbles.vk_message(
        {"conversation_message_id": 3, "out": 1, "message": "Вопрос?", "keyboard": keyboard},
        "Бот",
        "Олег",
    )
    assert (vk.id, vk.author, vk.buttons) == ("3", "Бот", [[bubbles.Button("Да")]])
    wall = {"id": 9, "message": "Пост", "photos": ["/media/p.png"], "edits": 2}
    post = bubbles.vk_post(wall, "П")
    assert (post.text, post.edited, post.photos) == (
        "Пост",
        True,
        ["/sandbox/api/media/vk?ref=%2Fmedia%2Fp.png"],
    )


async def test_a_simulator_that_does_not_answer_is_a_simulator_error() -> None:
    from tests.web.harness import free_port
    from web.sandbox.simulators import SimulatorError, Simulators

    sims = Simulators({"max": f"http://127.0.0.1:{free_port()}"})
    try:
        with pytest.raises(SimulatorError, match="max: ClientConnectorError"):
            await sims.get("max", "/control/messages", chat_id=1)
        with pytest.raises(SimulatorError):
            await sims.post("max", "/control/message", {"user_id": 1, "text": "x"})
        with pytest.raises(SimulatorError):
            await sims.media("max", "/media/x")
    finally:
        await sims.close()
