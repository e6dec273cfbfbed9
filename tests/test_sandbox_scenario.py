"""The rehearsal scenario against the sandbox's world, in-process: the moderator opens a
hotline through the admin chat's dialogue, a dozen citizens on Telegram, VK and MAX consent
and ask, and every question becomes a card; stopping it halfway leaves it ready again.
The simulators' limits stay on, as in the sandbox."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from bots.app import App
from config import Settings
from sandbox import settings as sandbox_settings
from sandbox.scenario import CITIZEN_TASK, QUESTIONS, TOPIC, Pace, Scenario
from sandbox.simulated import SCENARIO_CITIZENS, Simulators
from sandbox.world import ScenarioPhase
from simulators.waiting import wait

# The citizens' human pauses are behaviour, not synchronisation: a test plays them at once.
NO_PAUSES = Pace().scaled(0)


@pytest.fixture
def sims() -> Iterator[Simulators]:
    started = Simulators.start()
    try:
        yield started
    finally:
        started.stop()


def settings_for(sims: Simulators, folder: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The sandbox's own settings (its variables, set for this test only)."""
    values = sandbox_settings.variables(sims, folder, 0)
    values["GLASHATAI_WEB__ENABLED"] = "false"  # the page is tested in tests/web/
    for key in [k for k in os.environ if k.startswith("GLASHATAI_")]:
        monkeypatch.delenv(key)
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return Settings(_env_file=None)  # type: ignore[call-arg]


@contextlib.asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[App]:
    app = App(settings)
    try:
        await app.start()
        yield app
    finally:
        await app.stop()


def cards(sims: Simulators) -> list[str]:
    chat = sims.world.admin_chat_id
    return [
        str(m.get("text") or m.get("caption") or "")
        for m in sims.telegram.messages(chat)
        if str(m.get("text") or m.get("caption") or "").startswith("Вопрос №")
    ]


async def test_a_dozen_citizens_ask_on_three_platforms(
    sims: Simulators, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running(settings_for(sims, tmp_path, monkeypatch)) as app:
        scenario = Scenario(app, sims, pace=NO_PAUSES, rng=random.Random(14))
        assert scenario.state().phase is ScenarioPhase.IDLE
        await scenario.start()
        done = await wait(
            lambda: scenario.state().phase in (ScenarioPhase.DONE, ScenarioPhase.FAILED),
            timeout=180,
            interval=0.2,
            describe=scenario.state,
        )
        assert done
        state = scenario.state()
        assert state.phase is ScenarioPhase.DONE, state
        assert state.error is None
        assert state.hotline_title == TOPIC
        assert state.asked == len(SCENARIO_CITIZENS) == 12
        found = await wait(lambda: len(cards(sims)) >= 12 and cards(sims), timeout=120)
        asked = [q for q in QUESTIONS if any(q in card for card in found)]
        assert len(asked) == 12, found
        # The moderator opened it in the admin chat, as a moderator does.
        said = [m.get("text") for m in sims.telegram.messages(sims.world.admin_chat_id)]
        assert app.services.texts("hotline.ask_topic") in said
        platforms = {p.platform for p in SCENARIO_CITIZENS}
        assert platforms == {"telegram", "vk", "max"}
        assert not sims.max.violations
        assert not sims.max.internal_errors


async def test_stopped_halfway_it_can_start_again(
    sims: Simulators, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running(settings_for(sims, tmp_path, monkeypatch)) as app:
        scenario = Scenario(app, sims, pace=NO_PAUSES, rng=random.Random(1))
        await scenario.start()
        await scenario.start()  # a second press while it plays changes nothing
        await wait(lambda: scenario.state().asked >= 1, timeout=120, interval=0.1)
        await scenario.stop()
        assert scenario.state().phase is ScenarioPhase.IDLE
        assert not scenario.running
        await scenario.start()  # the open hotline is reused; consented citizens just ask
        done = await wait(
            lambda: scenario.state().phase in (ScenarioPhase.DONE, ScenarioPhase.FAILED),
            timeout=180,
            interval=0.2,
        )
        assert done
        assert scenario.state().phase is ScenarioPhase.DONE, scenario.state()


async def test_a_stop_between_arrivals_stops_the_citizens_already_writing(
    sims: Simulators, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The next citizen arrives only in an hour: the stop lands in that pause.
    pace = replace(NO_PAUSES, arrive=(3600.0, 3600.0))
    async with running(settings_for(sims, tmp_path, monkeypatch)) as app:
        scenario = Scenario(app, sims, pace=pace, rng=random.Random(2))
        await scenario.start()
        await wait(lambda: citizens_writing() == 1, timeout=120, interval=0.05)
        await scenario.stop()
        assert citizens_writing() == 0
        assert scenario.state().phase is ScenarioPhase.IDLE


def citizens_writing() -> int:
    return sum(
        1
        for task in asyncio.all_tasks()
        if task.get_name().startswith(CITIZEN_TASK) and not task.done()
    )
