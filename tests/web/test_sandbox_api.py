"""The sandbox page's API over real HTTP: actions reach the simulators as the platforms would
deliver them, views and photos come back from the page's own origin, and what is not the
page's own (another origin, a form, a stranger, a path outside the photos) is refused."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from simulators.telegram import make_png
from simulators.waiting import wait
from tests.hotline_harness import open_hotline
from tests.web.sandbox_world import Sandbox, running_sandbox

VK_CITIZEN = 300001  # phones of the sandbox's world (sandbox.simulated.PHONES)
MODERATOR = 5001
SECOND = 7002  # the second Telegram phone


@pytest.fixture
async def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Sandbox]:
    async with running_sandbox(tmp_path, monkeypatch) as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def views(http: aiohttp.ClientSession, sandbox: Sandbox, **query: Any) -> Any:
    async with http.get(f"{sandbox.url}/api/views", params=query) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def act(
    http: aiohttp.ClientSession, sandbox: Sandbox, path: str, values: dict[str, Any]
) -> tuple[int, Any]:
    async with http.post(f"{sandbox.url}/api{path}", json=values) as response:
        return response.status, await response.json(content_type=None)


def vk_said(sandbox: Sandbox, needle: str) -> list[dict[str, Any]]:
    return [m for m in sandbox.sims.vk.messages(VK_CITIZEN) if needle in m["message"]]


async def test_a_vk_citizen_consents_and_sends_a_photo_through_the_page(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    await open_hotline(sandbox.app)
    assert await act(http, sandbox, "/phone/vk/start", {"user_id": VK_CITIZEN}) == (
        200,
        {"ok": True},
    )

    async def prompt() -> dict[str, Any] | None:
        found = (await views(http, sandbox))["phones"]["vk"]
        asking = [
            b for b in found if any(x["label"] == "Согласен(на)" for r in b["buttons"] for x in r)
        ]
        return asking[-1] if asking else None

    asked = await wait(prompt)
    pressed = {"user_id": VK_CITIZEN, "message": asked["id"], "button": "Согласен(на)"}
    assert (await act(http, sandbox, "/phone/vk/press", pressed))[0] == 200
    await wait(lambda: vk_said(sandbox, "Спасибо! Теперь"))
    picture = make_png(30, 20)
    said = {
        "user_id": VK_CITIZEN,
        "text": "Яма у дома",
        "photo": base64.b64encode(picture).decode(),
    }
    assert (await act(http, sandbox, "/phone/vk/say", said))[0] == 200
    await wait(lambda: vk_said(sandbox, "Номер вопроса: №1"))

    mine = [b for b in (await views(http, sandbox))["phones"]["vk"] if b["mine"]]
    assert mine[0]["author"] == "Олег Сидоров"
    assert mine[-1]["text"] == "Яма у дома"
    assert len(mine[-1]["photos"]) == 1
    async with http.get(sandbox.url.removesuffix("/sandbox") + mine[-1]["photos"][0]) as response:
        assert response.status == 200
        assert response.content_type == "image/png"
        assert await response.read() == picture


async def test_the_moderator_types_a_command_in_the_admin_chat(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    assert (await act(http, sandbox, "/admin/say", {"text": "/queue"}))[0] == 200
    chat = sandbox.world.admin_chat_id
    await wait(lambda: sandbox.sims.telegram.messages(chat))  # the bot answered the command
    shown = (await views(http, sandbox))["admin"]
    assert [b["text"] for b in shown if b["mine"]] == ["/queue"]
    assert shown[0]["author"] == "Мария Соколова"


async def test_a_chosen_citizen_is_shown_and_a_stranger_is_refused(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    assert (await act(http, sandbox, "/phone/telegram/say", {"user_id": SECOND, "text": "Привет"}))[
        0
    ] == 200
    shown = await views(http, sandbox, telegram=SECOND)
    assert [b["text"] for b in shown["phones"]["telegram"] if b["mine"]] == ["Привет"]
    assert (await views(http, sandbox))["phones"]["telegram"] == [], (
        "the first citizen wrote nothing"
    )
    async with http.get(f"{sandbox.url}/api/views", params={"telegram": MODERATOR}) as response:
        assert response.status == 400, "the moderator is not one of the citizens"
    for path, values in [
        ("/phone/telegram/say", {"user_id": MODERATOR, "text": "x"}),
        ("/phone/vk/say", {"user_id": 7001, "text": "x"}),
        ("/phone/icq/say", {"user_id": 7001, "text": "x"}),
    ]:
        status, _ = await act(http, sandbox, path, values)
        assert status == 400, path
    assert sandbox.sims.telegram.messages(MODERATOR, include_incoming=True) == []


async def test_a_refusal_of_the_simulator_is_one_line_for_the_page(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    pressed = {"user_id": 800001, "message": "mid.nothing", "button": "Согласен(на)"}
    status, answer = await act(http, sandbox, "/phone/max/press", pressed)
    assert status == 400
    assert answer["error"].startswith("Не получилось: ")
    status, answer = await act(http, sandbox, "/admin/press", {"button": "Взять"})
    assert (status, answer) == (400, {"error": "missing field 'message'"})


async def test_what_is_not_the_pages_own_is_refused(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    url = f"{sandbox.url}/api/admin/say"
    async with http.post(url, data={"text": "/queue"}) as response:
        assert response.status == 415, "a form (what another site can post) is refused"
    async with http.post(
        url, json={"text": "/queue"}, headers={"Origin": "http://evil.example"}
    ) as response:
        assert response.status == 403
    async with http.post(url, json={"text": "/queue"}, headers={"Origin": sandbox.url}) as response:
        assert response.status == 200, "the page's own origin is fine"
    media = f"{sandbox.url}/api/media"
    for ref in ("/control/messages", "/media/../control/wall", "http://evil.example/x.png"):
        for platform in ("vk", "max"):
            async with http.get(f"{media}/{platform}", params={"ref": ref}) as response:
                assert response.status == 404, (platform, ref)
    async with http.get(f"{media}/telegram", params={"ref": "no-such-file"}) as response:
        assert response.status == 404
    async with http.get(f"{media}/icq", params={"ref": "/media/x"}) as response:
        assert response.status == 404
