"""The sandbox page (``/sandbox``): citizens' phones, the admin chat and the channels of the
simulated platforms side by side, for trying Glashatai and rehearsing without accounts.

``add_routes(app, world, scenario)`` mounts it on the web application before it starts
(``glashatai sandbox`` does). Every action on the page goes to ``/sandbox/api/...`` on the
same origin, which forwards it to the simulators' ``/control`` endpoints over HTTP (see
:mod:`web.sandbox.simulators` for why not straight from the browser); the views are read
the same way, polled by the page once a second.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web

from sandbox.world import World
from web.sandbox import actions, views
from web.sandbox.keys import SCENARIO, SIMULATORS, WORLD, Rehearsal
from web.sandbox.simulators import Simulators

# The names this machine answers to: the sandbox listens on 127.0.0.1 only.
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def this_machine_only(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The sandbox answers only under this machine's own names. A page on another site
    whose name was made to resolve to 127.0.0.1 (DNS rebinding) is same-origin with
    itself, so the Origin check can't see it: the Host it sends is its own name."""
    if request.path.startswith("/sandbox"):
        name = urlsplit(f"//{request.host}").hostname or ""
        if name.lower() not in LOOPBACK:
            raise web.HTTPForbidden(text="the sandbox answers on this machine's own address only")
    return await handler(request)


def add_routes(app: web.Application, world: World, scenario: Rehearsal | None) -> None:
    """Mount the page and its API; the simulators' client closes with the app."""
    app.middlewares.append(this_machine_only)
    simulators = Simulators(
        {"telegram": world.telegram_url, "vk": world.vk_url, "max": world.max_url}
    )
    app[WORLD] = world
    app[SIMULATORS] = simulators
    app[SCENARIO] = scenario
    app.router.add_get("/sandbox", views.page)
    app.router.add_get("/sandbox/api/views", views.snapshot)
    app.router.add_get("/sandbox/api/media/{platform}", views.media)
    app.router.add_post("/sandbox/api/phone/{platform}/{action}", actions.phone)
    app.router.add_post("/sandbox/api/admin/{action}", actions.admin)
    app.router.add_post("/sandbox/api/scenario/{action}", actions.scenario)

    async def close(_: web.Application) -> None:
        await simulators.close()

    app.on_cleanup.append(close)


__all__ = ["add_routes"]
