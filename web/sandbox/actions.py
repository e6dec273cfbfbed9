"""What a person does on the page, forwarded to the simulators as the platform would deliver it.

Only JSON bodies are accepted, and a request from another origin is refused: a cross-site
form cannot post JSON without a preflight, which nothing here answers, so another site
cannot act in the sandbox through a visitor's browser.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from sandbox.world import Person
from web.keys import SERVICES
from web.sandbox.keys import SCENARIO, SIMULATORS, WORLD
from web.sandbox.simulators import SimulatorError, Simulators
from web.sandbox.views import citizen, refused

# What a citizen sends to start the bot on each platform: Telegram's /start, VK's «Начать»
# button (its payload, as VK's client sends it), MAX's «Start» (bot_started).
VK_START = {"command": "start"}


async def _values(request: web.Request) -> dict[str, Any]:
    """The action's JSON body, from this page's origin only."""
    origin = request.headers.get("Origin")
    if origin is not None and urlsplit(origin).netloc != request.host:
        raise web.HTTPForbidden(text="another origin")
    if request.content_type != "application/json":
        raise web.HTTPUnsupportedMediaType(text="JSON only")
    try:
        values = await request.json()
    except ValueError:
        raise refused("malformed JSON") from None
    if not isinstance(values, dict):
        raise refused("a JSON object is expected")
    return values


def _split(name: str) -> tuple[str, str]:
    first, _, last = name.partition(" ")
    return first, last


async def _start(sims: Simulators, person: Person, _: dict[str, Any]) -> Any:
    first, last = _split(person.name)
    uid = person.user_id
    if person.platform == "telegram":
        await sims.post("telegram", "/control/user", {"user_id": uid, "first_name": first})
        return await sims.post("telegram", "/control/message", {"user_id": uid, "text": "/start"})
    if person.platform == "vk":
        said = {"user_id": uid, "text": "Начать", "payload": VK_START, "first_name": first}
        return await sims.post("vk", "/control/message", {**said, "last_name": last or first})
    return await sims.post("max", "/control/start", {"user_id": uid, "first_name": first})


async def _say(sims: Simulators, person: Person, values: dict[str, Any]) -> Any:
    first, last = _split(person.name)
    said: dict[str, Any] = {"user_id": person.user_id, "text": str(values.get("text") or "")}
    if values.get("photo"):
        said["photo"] = str(values["photo"])
    if person.platform == "vk":
        said |= {"first_name": first, "last_name": last or first}
    elif person.platform == "max":
        said["first_name"] = first
    return await sims.post(person.platform, "/control/message", said)


async def _press(sims: Simulators, person: Person, values: dict[str, Any]) -> Any:
    uid, button, message = person.user_id, str(values["button"]), str(values["message"])
    if person.platform == "telegram":
        pressed = {"user_id": uid, "chat_id": uid, "message_id": message, "button": button}
        return await sims.post("telegram", "/control/callback", pressed)
    if person.platform == "vk":
        pressed = {"user_id": uid, "button": button, "conversation_message_id": message}
        return await sims.post("vk", "/control/press", pressed)
    return await sims.post(
        "max", "/control/press", {"user_id": uid, "button": button, "mid": message}
    )


PHONE: dict[str, Callable[[Simulators, Person, dict[str, Any]], Awaitable[Any]]] = {
    "start": _start,
    "say": _say,
    "press": _press,
}


async def _done(request: web.Request, action: Awaitable[Any]) -> web.Response:
    """The simulator's refusal becomes one line the page shows."""
    try:
        await action
    except SimulatorError as error:
        texts = request.app[SERVICES].texts
        line = texts("web.sandbox.refused", reason=str(error))
        return web.json_response({"error": line}, status=400)
    except (KeyError, ValueError) as error:
        reason = f"missing field {error}" if isinstance(error, KeyError) else str(error)
        return web.json_response({"error": reason}, status=400)
    return web.json_response({"ok": True})


async def phone(request: web.Request) -> web.Response:
    """A citizen starts the bot, writes (text, a photo) or presses a button."""
    values = await _values(request)
    platform, action = request.match_info["platform"], request.match_info["action"]
    if action not in PHONE:
        raise web.HTTPNotFound()
    person = citizen(request.app[WORLD], platform, values.get("user_id"))
    return await _done(request, PHONE[action](request.app[SIMULATORS], person, values))


async def _admin_say(sims: Simulators, chat: int, moderator: int, values: dict[str, Any]) -> Any:
    said: dict[str, Any] = {"user_id": moderator, "chat_id": chat, "text": str(values["text"])}
    if values.get("reply_to"):
        said["reply_to_message_id"] = int(values["reply_to"])
    return await sims.post("telegram", "/control/message", said)


async def _admin_press(sims: Simulators, chat: int, moderator: int, values: dict[str, Any]) -> Any:
    pressed = {
        "user_id": moderator,
        "chat_id": chat,
        "message_id": int(values["message"]),
        "button": str(values["button"]),
    }
    return await sims.post("telegram", "/control/callback", pressed)


async def admin(request: web.Request) -> web.Response:
    """The moderator writes in the admin chat (a command, a reply to a card) or presses."""
    values = await _values(request)
    world, sims = request.app[WORLD], request.app[SIMULATORS]
    moderator, chat = world.moderator.user_id, world.admin_chat_id
    action = request.match_info["action"]
    if action == "say":
        return await _done(request, _admin_say(sims, chat, moderator, values))
    if action == "press":
        return await _done(request, _admin_press(sims, chat, moderator, values))
    raise web.HTTPNotFound()


async def scenario(request: web.Request) -> web.Response:
    """The «Репетиция» button: start or stop the rehearsal."""
    await _values(request)
    rehearsal = request.app[SCENARIO]
    action = request.match_info["action"]
    if rehearsal is None or action not in ("start", "stop"):
        raise web.HTTPNotFound()
    await (rehearsal.start() if action == "start" else rehearsal.stop())
    return web.json_response({"ok": True})
