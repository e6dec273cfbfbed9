"""The sandbox in this process for the page's tests: what ``glashatai sandbox`` runs (the
runtime's simulators and world, its settings, the real App, the rehearsal and the page),
with the simulators at hand for the assertions. The whole command as a process is
exercised in ``test_sandbox_browser.py`` too."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bots.app import App
from config import Settings
from sandbox.runtime import add_page
from sandbox.scenario import Pace, Scenario
from sandbox.settings import variables
from sandbox.simulated import Simulators
from sandbox.world import World
from tests.web.harness import free_port


@dataclass
class Sandbox:
    """The running sandbox and the page's address."""

    app: App
    sims: Simulators
    scenario: Scenario

    @property
    def world(self) -> World:
        return self.sims.world

    @property
    def url(self) -> str:
        assert self.app.web is not None
        return f"{self.app.web.url}/sandbox"


def healthy(sims: Simulators) -> None:
    """The simulators saw no request break the platforms' rules and had no bug of their own."""
    assert sims.telegram.internal_errors == []
    assert sims.vk.stats()["crashes"] == 0
    assert sims.max.violations == []
    assert sims.max.internal_errors == []


@contextlib.asynccontextmanager
async def running_sandbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pace: Pace | None = None
) -> AsyncIterator[Sandbox]:
    """The runtime's world and settings (through the environment, as the runtime's own
    ``load`` does, but restored after the test)."""
    sims = Simulators.start()
    try:
        for key, value in variables(sims, tmp_path / "sandbox", free_port()).items():
            monkeypatch.setenv(key, value)
        app = App(Settings(_env_file=None))  # type: ignore[call-arg]
        scenario = Scenario(app, sims, pace=pace)
        add_page(app, sims, scenario)
        await app.start()
        try:
            yield Sandbox(app, sims, scenario)
        finally:
            await scenario.stop()
            await app.stop()
        healthy(sims)
    finally:
        sims.stop()
