"""Control endpoints of the fake MAX API: driving it by hand (``python -m simulators.max``).

* ``GET /control/messages?chat_id=ID`` or ``?user_id=ID``: messages in a chat (the channel
  or a dialog; ``user_id`` names the dialog with that user), oldest first;
* ``GET /control/violations``: requests that broke the schema;
* ``POST /control/start`` ``{"user_id", "payload"?, "first_name"?}``: a user starts the bot;
* ``POST /control/message`` ``{"user_id", "text", "photo"?, "first_name"?}``: a user writes
  to the bot (``photo``: an image in base64, attached);
* ``POST /control/press`` ``{"user_id", "button", "mid"?}``: a user taps an inline callback
  button (by its label) on the newest bot message that has it, or on message ``mid``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from aiohttp import web

from simulators.control import ControlError, answer, body, guarded, integer, photo

from . import inject
from .state import State


def _chat_id(state: State, values: Any) -> int:
    """The chat a query names: ``chat_id``, or the dialog with ``user_id`` (lock held)."""
    if "user_id" in values and "chat_id" not in values:
        return state.dialog_of(integer(values, "user_id")).chat_id
    return integer(values, "chat_id")


def _button(state: State, user_id: int, label: str, mid: str | None) -> tuple[str, Any]:
    """The message and the button a tap names (lock held)."""
    if mid is None:
        try:
            return inject.find_button(state, user_id, label)
        except LookupError as error:
            raise ControlError(str(error)) from None
    message = state.messages.get(mid)
    if message is None or message.recipient_user_id != user_id or message.deleted:
        raise ControlError(f"no message {mid} to {user_id}")
    for attachment in message.attachments:
        if attachment["type"] == "inline_keyboard":
            for row in attachment["payload"]["buttons"]:
                for button in row:
                    if button.get("text") == label:
                        return mid, button
    raise ControlError(f"message {mid} has no button {label!r}")


def add_routes(app: web.Application, state_key: web.AppKey[Any]) -> None:
    """Register the control routes (the state is found under ``state_key``)."""

    async def messages(request: web.Request) -> web.Response:
        state = request.app[state_key]
        with state.lock:
            chat_id = _chat_id(state, request.query)
            found = [dataclasses.asdict(m) for m in state.messages.values() if m.chat_id == chat_id]
        return answer(sorted(found, key=lambda m: int(m["seq"])))

    async def violations(request: web.Request) -> web.Response:
        state = request.app[state_key]
        with state.lock:
            return answer(list(state.violations))

    async def start(request: web.Request) -> web.Response:
        state = request.app[state_key]
        values = await body(request)
        with state.lock:
            user = inject.ensure_user(
                state, integer(values, "user_id"), str(values.get("first_name", "Иван")), None
            )
            update = inject.bot_started(state, user, values.get("payload"))
        state.notify()
        return answer(update)

    async def message(request: web.Request) -> web.Response:
        state = request.app[state_key]
        values = await body(request)
        picture = photo(values)
        attachments = [("image", picture)] if picture is not None else None
        text = values.get("text", "") if picture is not None else values["text"]
        first_name = str(values.get("first_name", "Иван"))
        with state.lock:
            user = inject.ensure_user(state, integer(values, "user_id"), first_name, None)
            update = inject.user_message(state, user, str(text), attachments)
        state.notify()
        return answer(update)

    async def press(request: web.Request) -> web.Response:
        state = request.app[state_key]
        values = await body(request)
        user_id = integer(values, "user_id")
        wanted = values.get("mid")
        with state.lock:
            mid, button = _button(
                state, user_id, str(values["button"]), str(wanted) if wanted else None
            )
            if button.get("type") != "callback":
                raise ControlError(f"button {values['button']!r} is a {button.get('type')} button")
            user = inject.ensure_user(state, user_id, "Иван", None)
            update = inject.callback(state, user, button.get("payload"), mid)
        state.notify()
        return answer(update)

    app.router.add_get("/control/messages", guarded(messages))
    app.router.add_get("/control/violations", guarded(violations))
    app.router.add_post("/control/start", guarded(start))
    app.router.add_post("/control/message", guarded(message))
    app.router.add_post("/control/press", guarded(press))
