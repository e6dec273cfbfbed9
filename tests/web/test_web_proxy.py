"""Behind the reverse proxy: the visitor's address from X-Forwarded-For, from loopback only."""

from __future__ import annotations

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from web.app import behind_proxy


async def _seen(request: web.Request) -> web.Response:
    return web.Response(text=f"{request.remote} {request.scheme}")


async def _get(headers: dict[str, str]) -> str:
    app = web.Application(middlewares=[behind_proxy])
    app.router.add_get("/", _seen)
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/", headers=headers)
        return await response.text()


async def test_the_proxy_names_the_visitor() -> None:
    seen = await _get({"X-Forwarded-For": "198.51.100.7", "X-Forwarded-Proto": "https"})
    assert seen == "198.51.100.7 https"


async def test_the_last_hop_is_the_one_the_proxy_saw() -> None:
    # A visitor may send their own X-Forwarded-For; nginx appends the address it saw.
    seen = await _get({"X-Forwarded-For": "10.0.0.1, 203.0.113.9"})
    assert seen == "203.0.113.9 http"


async def test_nonsense_is_ignored() -> None:
    seen = await _get({"X-Forwarded-For": "<script>", "X-Forwarded-Proto": "javascript"})
    assert seen == "127.0.0.1 http"
