"""`glashatai sandbox` as a real process with an empty HOME: its page answers, the CLI posts
through it to the three simulated channels, a citizen's message becomes a card in the admin
chat, a second sandbox on the folder is refused, and SIGINT stops it all cleanly."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from sandbox.settings import read_env
from simulators.waiting import wait

GLASHATAI = str(Path(sys.executable).parent / "glashatai")
CITIZEN = 7001  # a phone of the sandbox's world (sandbox.simulated.PHONES)
ADMIN_CHAT = -1001000000001
CHANNEL = -1001000000002
TEXT = "Плановое **отключение** воды на улице Ленина."
SHOWN = "Плановое отключение воды на улице Ленина."
QUESTION = "Когда уберут снег во дворе дома 14?"
START_TIMEOUT = 120.0  # a loaded machine imports aiogram slowly; the bench measures speed


def empty_home(tmp_path: Path) -> dict[str, str]:
    """A fresh machine: no GLASHATAI_ variables, no data folder, nothing configured."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("GLASHATAI_") and k != "XDG_DATA_HOME"
    }
    env["HOME"] = str(tmp_path)
    return env


def sandbox_folder(tmp_path: Path) -> Path:
    return tmp_path / ".local" / "share" / "glashatai" / "sandbox"


class Sandbox:
    """A running ``glashatai sandbox`` and what it printed."""

    def __init__(self, proc: asyncio.subprocess.Process, lines: list[str]) -> None:
        self.proc, self.lines = proc, lines

    @property
    def url(self) -> str:
        found = [w for line in self.lines for w in line.split() if w.startswith("http://")]
        assert len(found) == 1, self.lines
        return found[0]


async def start(env: dict[str, str], cwd: Path, *args: str) -> Sandbox:
    proc = await asyncio.create_subprocess_exec(
        GLASHATAI,
        "sandbox",
        "--port",
        "0",
        *args,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    while not any("Ctrl-C" in line for line in lines):
        line = await asyncio.wait_for(proc.stdout.readline(), START_TIMEOUT)
        assert line, f"the sandbox ended before saying its address: {lines}"
        lines.append(line.decode())
    return Sandbox(proc, lines)


def cli(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [GLASHATAI, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


async def stop(sandbox: Sandbox, sig: int = signal.SIGINT) -> tuple[int, str]:
    """SIGINT, as Ctrl-C sends it (or ``sig``); the exit code and everything said on stderr."""
    sandbox.proc.send_signal(sig)
    _, err = await asyncio.wait_for(sandbox.proc.communicate(), 60)
    return int(sandbox.proc.returncode or 0), err.decode()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def control(http: aiohttp.ClientSession, base: str, path: str, **query: Any) -> Any:
    async with http.get(f"{base}/control/{path}", params=query) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def inject(http: aiohttp.ClientSession, base: str, path: str, body: dict[str, Any]) -> Any:
    async with http.post(f"{base}/control/{path}", json=body) as response:
        assert response.status == 200, await response.text()
        return await response.json()


def local(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo("Asia/Krasnoyarsk")).strftime("%Y-%m-%d %H:%M")


async def test_sandbox_runs_the_suite_with_no_configuration(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    env = empty_home(tmp_path)
    sandbox = await start(env, tmp_path)
    try:
        async with http.get(sandbox.url) as page:
            assert page.status == 200
        folder = sandbox_folder(tmp_path)
        assert any(f"export GLASHATAI_HOME={folder}" in line for line in sandbox.lines)
        values = read_env(folder)
        tg = values["GLASHATAI_TELEGRAM__API_BASE"]
        vk = values["GLASHATAI_VK__API_BASE"]
        mx = values["GLASHATAI_MAX__API_BASE"]
        max_channel = values["GLASHATAI_MAX__CHANNEL_ID"]

        # A second sandbox on the same folder says so in one line and starts nothing.
        second = cli(env, tmp_path, "sandbox", "--port", "0")
        assert second.returncode == 1
        assert second.stderr.count("\n") == 1, second.stderr
        assert "уже запущена" in second.stderr

        # The CLI with the sandbox's settings publishes to all three simulated channels;
        # the sandbox's variables win over the caller's own.
        (tmp_path / "post.md").write_text(TEXT, encoding="utf-8")
        elsewhere = tmp_path / "elsewhere.db"
        caller = {**env, "GLASHATAI_DATABASE__URL": f"sqlite+aiosqlite:///{elsewhere}"}
        made = cli(caller, tmp_path, "--sandbox", "post", "create", "--text-file", "post.md")
        assert made.returncode == 0, made.stderr
        assert not elsewhere.exists()

        async def published() -> bool:
            channel = await control(http, tg, "messages", chat_id=CHANNEL)
            wall = await control(http, vk, "wall")
            max_posts = await control(http, mx, "messages", chat_id=max_channel)
            return (
                any(m.get("text") == SHOWN for m in channel)
                and any(p.get("message") == SHOWN for p in wall)
                and any(m.get("text") == SHOWN for m in max_posts)
            )

        await wait(published, timeout=60, interval=0.2)

        # A hotline opened through the CLI; a citizen's question becomes a card.
        now = datetime.now(ZoneInfo("UTC"))
        opened = cli(
            env, tmp_path, "--sandbox", "hotline", "create", "--topic", "Зима",
            "--start", local(now), "--end", local(now + timedelta(hours=2)),
        )  # fmt: skip
        assert opened.returncode == 0, opened.stderr
        await wait_hotline_open(http, tg)
        await inject(http, tg, "message", {"user_id": CITIZEN, "text": "/start"})
        prompt = await wait(lambda: consent_prompt(http, tg), timeout=60, interval=0.2)
        await inject(
            http,
            tg,
            "callback",
            {
                "user_id": CITIZEN,
                "chat_id": CITIZEN,
                "message_id": prompt["message_id"],
                "button": "Согласен(на)",
            },
        )
        await wait(lambda: said(http, tg, CITIZEN, "Спасибо! Теперь"), timeout=60, interval=0.2)
        await inject(http, tg, "message", {"user_id": CITIZEN, "text": QUESTION})
        card = await wait(lambda: said(http, tg, ADMIN_CHAT, QUESTION), timeout=60, interval=0.2)
        assert card["text"].startswith("Вопрос №")
    finally:
        code, err = await stop(sandbox)
    assert code == 0, err
    assert "Traceback" not in err, err
    assert "Task was destroyed" not in err, err
    assert "never retrieved" not in err, err

    # Stopped: a --sandbox command says so in one line.
    late = cli(env, tmp_path, "--sandbox", "post", "list")
    assert late.returncode == 1
    assert late.stderr.count("\n") == 1, late.stderr
    assert "песочница не запущена" in late.stderr


async def wait_hotline_open(http: aiohttp.ClientSession, tg: str) -> None:
    """The planner opened it: the announcement reached the office channel."""

    async def announced() -> bool:
        channel = await control(http, tg, "messages", chat_id=CHANNEL)
        return any("Зима" in (m.get("text") or "") for m in channel)

    await wait(announced, timeout=60, interval=0.2)


async def consent_prompt(http: aiohttp.ClientSession, tg: str) -> dict[str, Any] | None:
    for message in await control(http, tg, "messages", chat_id=CITIZEN):
        rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
        if any(b.get("text") == "Согласен(на)" for row in rows for b in row):
            return dict(message)
    return None


async def said(
    http: aiohttp.ClientSession, tg: str, chat_id: int, needle: str
) -> dict[str, Any] | None:
    for message in await control(http, tg, "messages", chat_id=chat_id):
        if needle in (message.get("text") or message.get("caption") or ""):
            return dict(message)
    return None


async def test_sigterm_stops_a_sandbox_in_a_folder_of_its_own(tmp_path: Path) -> None:
    env = empty_home(tmp_path)
    folder = tmp_path / "rehearsal"
    sandbox = await start(env, tmp_path, "--folder", str(folder))
    try:
        assert any(f"export GLASHATAI_HOME={folder}" in line for line in sandbox.lines)
        # After the printed export line, plain commands (and --sandbox ones) use it.
        exported = {**env, "GLASHATAI_HOME": str(folder)}
        for args in (("hotline", "list"), ("--sandbox", "hotline", "list")):
            listed = cli(exported, tmp_path, *args)
            assert listed.returncode == 0, listed.stderr
            assert "Горячих линий нет." in listed.stdout
        # --sandbox alone looks in the default folder, where none runs.
        missing = cli(env, tmp_path, "--sandbox", "hotline", "list")
        assert missing.returncode == 1
        assert "песочница не запущена" in missing.stderr
    finally:
        code, err = await stop(sandbox, signal.SIGTERM)
    assert code == 0, err
    assert "Traceback" not in err, err
    assert "Task was destroyed" not in err, err
