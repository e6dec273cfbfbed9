"""Control endpoints of the fake VK API: driving it by hand (``python -m simulators.vk``).

* ``GET /control/messages?peer_id=ID[&incoming=1]``: what the community sent to a user
  (with the user's own messages when ``incoming=1``, marked ``"out": 0``), oldest first;
  each carries ``photos``, the paths (``/media/...``) of its photos' bytes;
* ``GET /control/wall``: the wall's posts (deleted ones flagged), with ``photos`` likewise;
* ``POST /control/message`` ``{"user_id", "text", "photo"?, "payload"?, "first_name"?,
  "last_name"?}``: a user writes to the community (queued for the Bots Long Poll; ``photo``
  is an image in base64, attached as a photo); returns the message;
* ``POST /control/press`` ``{"user_id", "button", "conversation_message_id"?}``: the user
  presses a keyboard button by its label, on the community's last message with a keyboard
  (or the one given): a callback button sends ``message_event``, a text button a message.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from aiohttp import web

from simulators.control import ControlError, answer, body, guarded, integer, photo

from .attachments import ATTACHMENT_RE
from .inject import inject_message_event, inject_user_message
from .keys import STATE_KEY
from .state import SentMessage, State


def _names(state: State, user_id: int, values: dict[str, Any]) -> tuple[str, str]:
    """The user's names: as given, else as registered, else a placeholder."""
    with state.lock:
        known = state.users.get(user_id)
    first = values.get("first_name") or (known.first_name if known else "Иван")
    last = values.get("last_name") or (known.last_name if known else "Петров")
    return str(first), str(last)


def _keyboard_message(state: State, user_id: int, cmid: int | None) -> SentMessage:
    with state.lock:
        for sent in reversed(state.sent):
            if sent.peer_id != user_id or not sent.keyboard:
                continue
            if cmid is None or sent.conversation_message_id == cmid:
                return sent
    raise ControlError(f"no community message with a keyboard to {user_id}")


def _button(message: SentMessage, label: str) -> dict[str, Any]:
    keyboard = message.keyboard or {}
    actions = [b["action"] for row in keyboard.get("buttons", []) for b in row]
    for action in actions:
        if action.get("label") == label:
            return dict(action)
    labels = [a.get("label") for a in actions]
    raise ControlError(
        f"message {message.conversation_message_id} has no button {label!r}: {labels}"
    )


def _press(state: State, user_id: int, label: str, cmid: int | None) -> dict[str, Any]:
    message = _keyboard_message(state, user_id, cmid)
    action = _button(message, label)
    payload = action.get("payload")
    if action.get("type") == "callback":
        parsed = json.loads(payload) if isinstance(payload, str) else payload
        event_id = inject_message_event(state, user_id, parsed, message.conversation_message_id)
        return {"event_id": event_id}
    if action.get("type") == "text":
        first, last = _names(state, user_id, {})
        return inject_user_message(state, user_id, label, None, payload, None, first, last, None)
    raise ControlError(f"button {label!r} is a {action.get('type')} button: nothing to inject")


def _photo_paths(state: State, refs: list[str]) -> list[str]:
    """Where the fake serves the bytes of the photos among attachment strings (lock held)."""
    paths = []
    for ref in refs:
        match = ATTACHMENT_RE.match(ref)
        if match is None or match["type"] != "photo":
            continue
        stored = state.photos.get((int(match["owner"]), int(match["id"])))
        if stored is not None:
            paths.append(f"/media/{stored.blob}")
    return paths


def _inbound_record(state: State, message: dict[str, Any]) -> dict[str, Any]:
    """A user's message in the shape of the community's (``message``, ``photos``; lock held)."""
    refs = [
        f"photo{a['photo']['owner_id']}_{a['photo']['id']}"
        for a in message["attachments"]
        if a.get("type") == "photo"
    ]
    return {**message, "message": message["text"], "photos": _photo_paths(state, refs)}


async def messages(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    peer_id = integer(request.query, "peer_id")
    incoming = request.query.get("incoming", "") in ("1", "true", "yes")
    with state.lock:
        found = [
            {**dataclasses.asdict(m), "out": 1, "photos": _photo_paths(state, m.attachments)}
            for m in state.sent
            if m.peer_id == peer_id
        ]
        if incoming:
            found += [_inbound_record(state, m) for m in state.inbound if m["peer_id"] == peer_id]
    return answer(sorted(found, key=lambda m: int(m["id"])))


async def wall(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    with state.lock:
        posts = [
            {**dataclasses.asdict(p), "photos": _photo_paths(state, p.attachments)}
            for p in state.posts.values()
        ]
    return answer(posts)


async def message(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    values = await body(request)
    user_id = integer(values, "user_id")
    first, last = _names(state, user_id, values)
    picture = photo(values)
    text = values.get("text", "") if picture is not None else values["text"]
    attachments = [("photo", picture)] if picture is not None else None
    sent = inject_user_message(
        state, user_id, str(text), attachments, values.get("payload"), None, first, last, None
    )
    state.lp_notify()
    return answer(sent)


async def press(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    values = await body(request)
    cmid = values.get("conversation_message_id")
    done = _press(
        state,
        integer(values, "user_id"),
        str(values["button"]),
        int(cmid) if cmid is not None else None,
    )
    state.lp_notify()
    return answer(done)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/control/messages", guarded(messages))
    app.router.add_get("/control/wall", guarded(wall))
    app.router.add_post("/control/message", guarded(message))
    app.router.add_post("/control/press", guarded(press))
