"""The sandbox page and its API answer under this machine's own names only: another
site whose name resolves to 127.0.0.1 (DNS rebinding) must not act in it or read it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import pytest

from tests.web.sandbox_world import Sandbox, running_sandbox


@pytest.fixture
async def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Sandbox]:
    async with running_sandbox(tmp_path, monkeypatch) as running:
        yield running


async def test_another_sites_name_is_refused_and_this_machines_names_answer(
    sandbox: Sandbox,
) -> None:
    port = urlsplit(sandbox.url).port
    rebound = f"rebind.evil.example:{port}"
    headers = {"Host": rebound, "Origin": f"http://{rebound}"}
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{sandbox.url}/api/admin/say", json={"text": "/queue"}, headers=headers
        ) as refused:
            assert refused.status == 403
        async with http.get(f"{sandbox.url}/api/views", headers={"Host": rebound}) as read:
            assert read.status == 403
        for name in (f"localhost:{port}", f"127.0.0.1:{port}"):
            async with http.get(f"{sandbox.url}/api/views", headers={"Host": name}) as ok:
                assert ok.status == 200, name
