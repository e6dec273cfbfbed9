"""A citizen who floods the bot with menu words or button presses does not make it send
a reply for each: every reply is a send, queued beside answers to other citizens."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from config.settings import HotlineSettings
from shared.throttle import Presses
from simulators.telegram import FakeTelegram
from simulators.vk import FakeVK
from tests.hotline_harness import (
    fast_overrides,
    hotline_people,
    open_hotline,
    outbox_idle,
    running,
    vk_buttons,
    vk_consent,
    wait,
)

CITIZEN = 310301
MENU = "Оповещения от администрации"
THREE = fast_overrides(hotline={"throttle_messages": 3})


@pytest.fixture
def fakes(tg: FakeTelegram, vk: FakeVK) -> tuple[FakeTelegram, FakeVK]:
    return hotline_people(tg), vk


def said(vk: FakeVK, needle: str) -> list[dict[str, Any]]:
    return [m for m in vk.messages(CITIZEN) if needle in m["message"]]


def test_presses_over_twice_the_message_limit_in_the_window_are_not_answered() -> None:
    cfg = HotlineSettings(throttle_messages=3, throttle_window_seconds=60)
    presses = Presses()
    allowed = [presses.allow(1, cfg, now=100.0 + n) for n in range(8)]
    assert allowed == [True] * 6 + [False] * 2
    assert presses.allow(2, cfg, now=108.0), "another citizen is counted apart"
    assert presses.allow(1, cfg, now=161.0), "a press leaves the window after it"


async def test_a_menu_word_typed_in_a_flood_counts_like_any_message(
    tmp_path: Path, fakes: tuple[FakeTelegram, FakeVK]
) -> None:
    tg, vk = fakes
    async with running(tmp_path, tg, vk, overrides=THREE) as app:
        await open_hotline(app)
        await vk_consent(vk, CITIZEN)
        for _ in range(12):
            vk.user_message(CITIZEN, "Подписки")
        vk.user_message(CITIZEN, "Мои вопросы")  # handled after the twelve, in order
        await wait(lambda: said(vk, "слишком часто"))
        await wait(lambda: outbox_idle(app.services.db))
        assert len(said(vk, MENU)) <= 3
        assert len(said(vk, "слишком часто")) == 1
        assert said(vk, "Вы пока не задавали") == [], "silenced: nothing is answered"


async def test_a_button_pressed_in_a_flood_is_answered_only_so_often(
    tmp_path: Path, fakes: tuple[FakeTelegram, FakeVK]
) -> None:
    tg, vk = fakes
    async with running(tmp_path, tg, vk, overrides=THREE) as app:
        await open_hotline(app)
        await vk_consent(vk, CITIZEN)
        greeting = said(vk, "Спасибо! Теперь")[-1]
        answered = len(vk.calls("messages.sendMessageEventAnswer"))
        for _ in range(15):
            vk.message_event(
                CITIZEN,
                vk_buttons(greeting)["Мои вопросы"],
                conversation_message_id=greeting["conversation_message_id"],
            )
        # Every press is handled and its acknowledgement tried, answered or not (VK's own
        # rate limit refuses some of fifteen acknowledgements in a second: logged, dropped).
        await wait(lambda: len(vk.calls("messages.sendMessageEventAnswer")) >= answered + 15)
        await wait(lambda: outbox_idle(app.services.db))
        # Six presses in the window (twice the message limit), the consent press among them.
        assert len(said(vk, "Вы пока не задавали")) == 5


def test_citizens_who_stopped_pressing_are_forgotten() -> None:
    cfg = HotlineSettings(throttle_messages=3, throttle_window_seconds=60)
    presses = Presses()
    for citizen in range(10_000):
        presses.allow(citizen, cfg, now=0.0)
    presses.allow(99_999, cfg, now=120.0)  # over the size: a sweep, the rest are past it
    assert list(presses._seen) == [99_999]
