"""Control endpoints of the fake MAX API: driving it by hand (``python -m simulators.max``).

* ``GET /control/messages?chat_id=ID``: messages in a chat (the channel or a dialog);
* ``GET /control/violations``: requests that broke the schema;
* ``POST /control/start`` ``{"user_id", "payload"?, "first_name"?}``: a user starts the bot;
* ``POST /control/message`` ``{"user_id", "text"}``: a user writes to the bot;
* ``POST /control/press`` ``{"user_id", "button"}``: a user taps an inline callback button
  (by its label) on the newest bot message that has it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from aiohttp import web

from simulators.control import ControlError, answer, body, guarded, integer

from . import inject


def add_routes(app: web.Application, state_key: web.AppKey[Any]) -> None:
    """Register the control routes (the state is found under ``state_key``)."""

    async def messages(request: web.Request) -> web.Response:
        state = request.app[state_key]
        chat_id = integer(request.query, "chat_id")
        with state.lock:
            found = [dataclasses.asdict(m) for m in state.messages.values() if m.chat_id == chat_id]
        return answer(found)

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
        with state.lock:
            user = inject.ensure_user(state, integer(values, "user_id"), "Иван", None)
            update = inject.user_message(state, user, str(values["text"]), None)
        state.notify()
        return answer(update)

    async def press(request: web.Request) -> web.Response:
        state = request.app[state_key]
        values = await body(request)
        user_id = integer(values, "user_id")
        with state.lock:
            try:
                mid, button = inject.find_button(state, user_id, str(values["button"]))
            except LookupError as error:
                raise ControlError(str(error)) from None
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
