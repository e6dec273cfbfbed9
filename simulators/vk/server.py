"""The aiohttp application and the thread that runs it on its own event loop."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import socket
import threading
import zlib

from aiohttp import web

from . import control
from .dispatch import HTTP_TEXT, dispatch
from .keys import STATE_KEY
from .longpoll import HUB_KEY, LongPollHub, handle_check
from .media import png_bytes
from .state import State
from .uploads import handle_upload

MAX_BODY = 60 * 1024 * 1024
_dumps = functools.partial(json.dumps, ensure_ascii=False)


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


def build_app(state: State, hub: LongPollHub) -> web.Application:
    """All routes of the fake."""
    app = web.Application(client_max_size=MAX_BODY)
    app[STATE_KEY] = state
    app[HUB_KEY] = hub
    app.router.add_route("GET", "/method/{name}", handle_method)
    app.router.add_route("POST", "/method/{name}", handle_method)
    app.router.add_get("/longpoll/{group_id}", handle_check)
    app.router.add_post("/upload/{kind}/{server_id}", handle_upload)
    app.router.add_get("/captcha/{sid}.png", handle_captcha)
    app.router.add_get("/media/{name}", handle_media)
    control.add_routes(app)
    return app


class ServerThread:
    """Serves the app from a daemon thread with a private event loop."""

    def __init__(self, state: State, host: str = "127.0.0.1", port: int = 0) -> None:
        self._state = state
        self._host = host
        self._port = port
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def start(self) -> str:
        """Bind, start serving and return the base URL ``http://host:port``."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self._host, self._port))
        except OSError:
            sock.close()
            raise
        port = sock.getsockname()[1]
        self._thread = threading.Thread(
            target=self._run, args=(sock,), name=f"fake-vk-{port}", daemon=True
        )
        self._thread.start()
        if not self._ready.wait(10) or self._error is not None:
            raise RuntimeError("fake VK server failed to start") from self._error
        return f"http://{self._host}:{port}"

    def stop(self) -> None:
        """Wake long polls and delayed answers, shut down, join the thread."""
        if self._thread is None or self._loop is None or self._stop is None:
            return
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(15)
        self._thread = None

    def _run(self, sock: socket.socket) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve(sock))
        except BaseException as error:
            self._error = error
            self._ready.set()
        finally:
            sock.close()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _serve(self, sock: socket.socket) -> None:
        hub = LongPollHub(asyncio.get_running_loop())
        self._stop = asyncio.Event()
        with self._state.lock:
            self._state.lp_notify = hub.notify_threadsafe
        runner = web.AppRunner(
            build_app(self._state, hub),
            handler_cancellation=True,
            shutdown_timeout=1.0,
            access_log=None,
        )
        await runner.setup()
        try:
            await web.SockSite(runner, sock).start()
            self._ready.set()
            await self._stop.wait()
        finally:
            hub.closing.set()
            hub.notify_threadsafe()
            await runner.cleanup()
