"""The page, the views it polls (phones, admin chat, channels, the rehearsal) and photos."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from typing import Any

from aiohttp import web

from sandbox.world import Person, ScenarioPhase, World
from shared.texts import Texts
from web.keys import SERVICES
from web.sandbox import bubbles
from web.sandbox.keys import SCENARIO, SIMULATORS, WORLD, Rehearsal
from web.sandbox.simulators import SimulatorError, Simulators
from web.templating import render

PLATFORMS = ("telegram", "vk", "max")
# The newest messages a view shows: enough to follow a conversation, light to poll.
HISTORY = 40


def citizens_of(world: World, platform: str) -> list[Person]:
    return [p for p in world.citizens if p.platform == platform]


def citizen(world: World, platform: str, user_id: Any) -> Person:
    """The simulated citizen named by the page: only the world's own people can act."""
    for person in citizens_of(world, platform):
        if str(person.user_id) == str(user_id):
            return person
    raise refused(f"no citizen {user_id} on {platform}")


def refused(reason: str) -> web.HTTPBadRequest:
    """A request the page should not have made, answered in JSON like every API answer."""
    return web.HTTPBadRequest(
        text=json.dumps({"error": reason}, ensure_ascii=False), content_type="application/json"
    )


async def page(request: web.Request) -> web.Response:
    world = request.app[WORLD]
    return render(
        request,
        "sandbox/page.html",
        world=world,
        phones=[(name, citizens_of(world, name)) for name in PLATFORMS],
        rehearsal=request.app[SCENARIO] is not None,
    )


def _chosen(request: web.Request, world: World) -> dict[str, Person | None]:
    """The citizen each phone shows (the query names them; the first one by default)."""
    chosen: dict[str, Person | None] = {}
    for name in PLATFORMS:
        people = citizens_of(world, name)
        wanted = request.query.get(name)
        chosen[name] = citizen(world, name, wanted) if wanted else (people[0] if people else None)
    return chosen


async def _phone(sims: Simulators, person: Person | None, bot: str) -> list[bubbles.Bubble]:
    if person is None:
        return []
    uid = person.user_id
    if person.platform == "telegram":
        found = await sims.get("telegram", "/control/messages", chat_id=uid, incoming=1)
        return [bubbles.telegram(m, uid, bot) for m in found]
    if person.platform == "vk":
        found = await sims.get("vk", "/control/messages", peer_id=uid, incoming=1)
        return [bubbles.vk_message(m, bot, person.name) for m in found]
    found = await sims.get("max", "/control/messages", user_id=uid)
    return [bubbles.max_message(m, uid, bot, person.name) for m in found]


async def _admin(sims: Simulators, world: World, bot: str) -> list[bubbles.Bubble]:
    chat = world.admin_chat_id
    found = await sims.get("telegram", "/control/messages", chat_id=chat, incoming=1)
    return [bubbles.telegram(m, world.moderator.user_id, bot) for m in found]


async def _channels(sims: Simulators, world: World, texts: Texts) -> list[list[bubbles.Bubble]]:
    office = texts("web.sandbox.office")
    telegram, wall, max_channel = await asyncio.gather(
        sims.get("telegram", "/control/messages", chat_id=world.channel_id),
        sims.get("vk", "/control/wall"),
        sims.get("max", "/control/messages", chat_id=world.max_channel_id),
    )
    return [
        [bubbles.telegram(m, None, office) for m in telegram],
        [bubbles.vk_post(p, office) for p in wall],
        [bubbles.max_message(m, None, office, office) for m in max_channel],
    ]


def rehearsal_state(scenario: Rehearsal | None, texts: Texts) -> dict[str, Any] | None:
    """The rehearsal's phase as the page shows it (and whether it can be started)."""
    if scenario is None:
        return None
    state = scenario.state()
    line = texts(f"web.sandbox.phase_{state.phase.value}")
    if state.hotline_title:
        line += " · " + texts(
            "web.sandbox.progress",
            title=state.hotline_title,
            asked=state.asked,
            citizens=state.citizens,
        )
    if state.error:
        line += f" · {state.error}"
    # Done (every citizen asked) or failed: the button offers to play it again.
    playing = state.phase in (ScenarioPhase.OPENING, ScenarioPhase.RUNNING)
    return {"phase": state.phase.value, "line": line, "running": playing}


def _listed(found: list[bubbles.Bubble]) -> list[dict[str, Any]]:
    return [dataclasses.asdict(b) for b in found[-HISTORY:]]


async def snapshot(request: web.Request) -> web.Response:
    """Everything the page shows, in one answer per poll."""
    world, sims = request.app[WORLD], request.app[SIMULATORS]
    texts = request.app[SERVICES].texts
    bot = texts("web.sandbox.bot")
    chosen = _chosen(request, world)
    try:
        phones = await asyncio.gather(*(_phone(sims, chosen[name], bot) for name in PLATFORMS))
        admin, channels = await asyncio.gather(
            _admin(sims, world, bot), _channels(sims, world, texts)
        )
    except SimulatorError as error:
        return web.json_response({"error": str(error)}, status=502)
    scenario = request.app[SCENARIO]
    return web.json_response(
        {
            "phones": {name: _listed(found) for name, found in zip(PLATFORMS, phones, strict=True)},
            "admin": _listed(admin),
            "channels": dict(zip(PLATFORMS, (_listed(c) for c in channels), strict=True)),
            "scenario": rehearsal_state(scenario, texts),
        }
    )


def _media_path(platform: str, ref: str) -> tuple[str, dict[str, str]]:
    """The simulator's path for a photo reference (only photo paths, nothing else)."""
    if platform == "telegram":
        return "/control/file", {"file_id": ref}
    if platform in ("vk", "max") and ref.startswith("/media/") and "/" not in ref[7:]:
        return ref, {}
    raise web.HTTPNotFound()


async def media(request: web.Request) -> web.Response:
    """A photo's bytes from a simulator, served from the page's own origin (its CSP)."""
    path, query = _media_path(request.match_info["platform"], request.query.get("ref", ""))
    try:
        data, kind = await request.app[SIMULATORS].media(
            request.match_info["platform"], path, **query
        )
    except SimulatorError:
        raise web.HTTPNotFound() from None
    if not kind.startswith("image/"):
        raise web.HTTPNotFound()
    return web.Response(body=data, content_type=kind, headers={"Cache-Control": "private"})
