"""The aiohttp application and the thread that runs it on its own event loop."""

from __future__ import annotations

import functools
import json
import zlib

from aiohttp import web

from simulators.serving import HUB_KEY, Hub

from . import control
from .dispatch import HTTP_TEXT, dispatch
from .keys import STATE_KEY
from .longpoll import handle_check
from .media import png_bytes
from .state import State
from .uploads import handle_upload

MAX_BODY = 60 * 1024 * 1024
HOLD_LIMIT = 60.0  # a held answer goes out by itself after this, so no test hangs
_dumps = functools.partial(json.dumps, ensure_ascii=False)


def _released(state: State, final: bool) -> bool | None:
    """A held answer's poll: go once the test released it (or the hold ran out)."""
    with state.lock:
        return True if final or not state.holding else None


async def handle_method(request: web.Request) -> web.Response:
    """``GET|POST /method/{name}``: parameters from the query and the form body."""
    state = request.app[STATE_KEY]
    hub = request.app[HUB_KEY]
    raw = dict(request.query)
    if request.method == "POST":
        form = await request.post()
        raw.update({key: value for key, value in form.items() if isinstance(value, str)})
    outcome = dispatch(state, request.match_info["name"], raw, request.method)
    if outcome.delay:
        await hub.sleep(outcome.delay)
    if outcome.held:
        await hub.poll(HOLD_LIMIT, functools.partial(_released, state))
    if outcome.body is None:
        return web.Response(status=outcome.status, text=HTTP_TEXT.get(outcome.status, "Error"))
    return web.json_response(outcome.body, dumps=_dumps)


async def handle_captcha(request: web.Request) -> web.Response:
    """``GET /captcha/{sid}.png``: a small real PNG for an issued captcha."""
    state = request.app[STATE_KEY]
    sid = request.match_info["sid"]
    with state.lock:
        known = sid in state.captchas
    if not known:
        raise web.HTTPNotFound()
    return web.Response(body=png_bytes(seed=zlib.crc32(sid.encode())), content_type="image/png")


async def handle_media(request: web.Request) -> web.Response:
    """``GET /media/{name}``: stored photos/docs and generated avatars."""
    state = request.app[STATE_KEY]
    name = request.match_info["name"]
    with state.lock:
        blob = state.blobs.get(name)
    if blob is not None:
        return web.Response(body=blob[0], content_type=blob[1])
    if name.startswith(("group", "user")) and name.endswith(".png"):
        return web.Response(body=png_bytes(50, 50), content_type="image/png")
    raise web.HTTPNotFound()


def build_app(state: State, hub: Hub, base_url: str) -> web.Application:
    """All routes of the fake."""
    app = web.Application(client_max_size=MAX_BODY)
    app[STATE_KEY] = state
    with state.lock:
        state.base_url = base_url
        state.lp_notify = hub.notify  # what queues an update wakes the long polls
    app.router.add_route("GET", "/method/{name}", handle_method)
    app.router.add_route("POST", "/method/{name}", handle_method)
    app.router.add_get("/longpoll/{group_id}", handle_check)
    app.router.add_post("/upload/{kind}/{server_id}", handle_upload)
    app.router.add_get("/captcha/{sid}.png", handle_captcha)
    app.router.add_get("/media/{name}", handle_media)
    control.add_routes(app)
    return app
