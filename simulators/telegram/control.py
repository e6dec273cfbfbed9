"""Control endpoints of the fake Bot API: driving it by hand (``python -m simulators.telegram``).

* ``GET /control/messages?chat_id=ID[&incoming=1]``: what the bot sent to a chat (with the
  people's own messages when ``incoming=1``), oldest first;
* ``POST /control/message`` ``{"user_id", "chat_id"?, "text"?, "photo"?,
  "reply_to_message_id"?}``: a person writes to the bot (``chat_id`` defaults to their
  private chat; ``photo`` is an image in base64, sent with ``text`` as its caption); returns
  the Update;
* ``POST /control/callback`` ``{"user_id", "chat_id", "message_id", "button" | "data"}``:
  the person presses a button of a bot's message, named by its label or callback data;
* ``POST /control/user`` ``{"user_id", "first_name", "last_name"?}``: register a person;
* ``GET /control/file?file_id=ID``: the bytes of a file the bot uploaded or a person sent
  (what ``/file/bot<token>/...`` serves, without the token: for a page showing the photos);
* ``GET /control/stats``: the counters (requests, errors, 429s…), for a client in another
  process (the outbox bench counts the calls that are in).
"""

from __future__ import annotations

from typing import Any, Protocol

from aiohttp import web

from simulators.control import ControlError, answer, body, guarded, integer, photo
from simulators.vk.media import IMAGE_TYPES, sniff_image


class Driven(Protocol):
    """What the endpoints use of ``FakeTelegram``."""

    def messages(
        self, chat_id: int | None = None, *, include_incoming: bool = False
    ) -> list[dict[str, Any]]: ...

    def message(self, chat_id: int, message_id: int) -> dict[str, Any] | None: ...

    def user_message(
        self,
        user_id: int,
        chat_id: int | None = None,
        text: str | None = None,
        *,
        photo: bytes | None = None,
        reply_to_message_id: int | None = None,
    ) -> dict[str, Any]: ...

    def callback(
        self, user_id: int, message_id: int, chat_id: int, data: str
    ) -> dict[str, Any]: ...

    def add_user(
        self, user_id: int, first_name: str, last_name: str | None = None
    ) -> dict[str, Any]: ...

    def file_bytes(self, file_id: str) -> bytes | None: ...

    def stats(self) -> dict[str, int]: ...


def button_data(message: dict[str, Any], label: str) -> str:
    """The callback data of the button labelled ``label``."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    found = [b for row in rows for b in row if b.get("text") == label and "callback_data" in b]
    if not found:
        labels = [b.get("text") for row in rows for b in row]
        raise ControlError(f"message {message['message_id']} has no button {label!r}: {labels}")
    return str(found[0]["callback_data"])


def media_type(data: bytes) -> str:
    """An image's type by its bytes, else a download."""
    kind = sniff_image(data)
    return IMAGE_TYPES[kind] if kind is not None else "application/octet-stream"


def add_routes(app: web.Application, fake: Driven) -> None:
    async def messages(request: web.Request) -> web.Response:
        chat_id = integer(request.query, "chat_id")
        incoming = request.query.get("incoming", "") in ("1", "true", "yes")
        return answer(fake.messages(chat_id, include_incoming=incoming))

    async def message(request: web.Request) -> web.Response:
        values = await body(request)
        chat_id = integer(values, "chat_id") if "chat_id" in values else None
        reply_to = values.get("reply_to_message_id")
        picture = photo(values)
        text = values.get("text") if picture is not None else values["text"]
        update = fake.user_message(
            integer(values, "user_id"),
            chat_id,
            str(text) if text else None,
            photo=picture,
            reply_to_message_id=int(reply_to) if reply_to is not None else None,
        )
        return answer(update)

    async def callback(request: web.Request) -> web.Response:
        values = await body(request)
        chat_id, message_id = integer(values, "chat_id"), integer(values, "message_id")
        data = values.get("data")
        if data is None:
            pressed = fake.message(chat_id, message_id)
            if pressed is None:
                raise ControlError(f"no message {message_id} in chat {chat_id}")
            data = button_data(pressed, str(values["button"]))
        return answer(fake.callback(integer(values, "user_id"), message_id, chat_id, str(data)))

    async def user(request: web.Request) -> web.Response:
        values = await body(request)
        last_name = values.get("last_name")
        return answer(
            fake.add_user(
                integer(values, "user_id"),
                str(values["first_name"]),
                str(last_name) if last_name is not None else None,
            )
        )

    async def file(request: web.Request) -> web.Response:
        file_id = request.query.get("file_id", "")
        data = fake.file_bytes(file_id)
        if data is None:
            raise ControlError(f"no file {file_id!r}")
        return web.Response(body=data, content_type=media_type(data))

    async def stats(request: web.Request) -> web.Response:
        return answer(fake.stats())

    app.router.add_get("/control/messages", guarded(messages))
    app.router.add_get("/control/stats", guarded(stats))
    app.router.add_get("/control/file", guarded(file))
    app.router.add_post("/control/message", guarded(message))
    app.router.add_post("/control/callback", guarded(callback))
    app.router.add_post("/control/user", guarded(user))
