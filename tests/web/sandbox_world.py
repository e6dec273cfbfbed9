"""The sandbox's world for the page's tests: the three simulators, the real App with its web
part, and the sandbox page mounted on it (what ``glashatai sandbox`` builds, made here from
the tests' own fixtures)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from bots.app import App
from sandbox.world import Person, World
from simulators.max import FakeMax
from simulators.telegram import FakeTelegram
from simulators.vk import FakeVK
from tests.harness import ADMIN_CHAT, CHANNEL_ID, MODERATOR
from tests.web.harness import web_settings
from web.sandbox import add_routes
from web.sandbox.keys import Rehearsal

CITIZENS = (
    Person("telegram", 7001, "Анна Иванова"),
    Person("telegram", 7002, "Борис Котов"),
    Person("vk", 8001, "Олег Сидоров"),
    Person("max", 700001, "Ольга Смирнова"),
    Person("max", 700002, "Пётр Лебедев"),
)


@dataclass
class Sandbox:
    """The running world and the page's address."""

    app: App
    world: World
    tg: FakeTelegram
    vk: FakeVK
    max: FakeMax

    @property
    def url(self) -> str:
        assert self.app.web is not None
        return f"{self.app.web.url}/sandbox"


def world_of(tg: FakeTelegram, vk: FakeVK, fake_max: FakeMax) -> World:
    """The world as the simulators were prepared (conftest's office chats, the citizens)."""
    for person in CITIZENS:
        first, last = person.name.split(" ", 1)
        if person.platform == "telegram":
            tg.add_user(person.user_id, first, last)
        elif person.platform == "vk":
            vk.add_user(person.user_id, first, last)
        else:
            fake_max.add_user(person.user_id, first, last)
    return World(
        telegram_url=tg.base_url,
        vk_url=vk.base_url,
        max_url=fake_max.base_url,
        admin_chat_id=ADMIN_CHAT,
        moderator=Person("telegram", MODERATOR, "Мария"),
        channel_id=CHANNEL_ID,
        vk_group_id=vk.group_id,
        max_channel_id=fake_max.channel_id,
        citizens=CITIZENS,
    )


@contextlib.asynccontextmanager
async def running_sandbox(
    tmp_path: Path,
    tg: FakeTelegram,
    vk: FakeVK,
    fake_max: FakeMax,
    scenario: Rehearsal | None = None,
) -> AsyncIterator[Sandbox]:
    world = world_of(tg, vk, fake_max)
    max_settings = {
        "token": fake_max.token,
        "api_base": fake_max.base_url,
        "channel_id": fake_max.channel_id,
        "request_timeout": 3,
        "longpoll_timeout": 1,
    }
    settings = web_settings(
        tmp_path,
        tg,
        vk,
        max=max_settings,
        hotline={"policy_url": "https://town.example/privacy", "throttle_messages": 100},
    )
    app = App(settings)
    assert app.web is not None
    add_routes(app.web.app, world, scenario)
    await app.start()
    try:
        yield Sandbox(app, world, tg, vk, fake_max)
    finally:
        await app.stop()
