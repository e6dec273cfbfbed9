"""What the sandbox page keeps in the web application, by typed key."""

from __future__ import annotations

from typing import Protocol

from aiohttp import web

from sandbox.world import ScenarioState, World
from web.sandbox.simulators import Simulators


class Rehearsal(Protocol):
    """What the page uses of ``sandbox.scenario.Scenario``."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def state(self) -> ScenarioState: ...


WORLD = web.AppKey("sandbox_world", World)
SIMULATORS = web.AppKey("sandbox_simulators", Simulators)
# the rehearsal, or None when the runtime offers none (the button is then not shown)
SCENARIO: web.AppKey[Rehearsal | None] = web.AppKey("sandbox_scenario")
