"""The page's way into the simulators: their ``/control`` endpoints over HTTP.

The browser never talks to a simulator itself: the page's CSP allows connections to its
own origin only, the simulators send no CORS headers, and a photo's bytes must come from
the page's origin too. So each route under ``/sandbox/api`` forwards here, and a person's
action reaches the bot exactly as the platform would deliver it (an update the bot fetches
by long polling).
"""

from __future__ import annotations

from typing import Any

import aiohttp

TIMEOUT = aiohttp.ClientTimeout(total=10)


class SimulatorError(Exception):
    """A simulator refused a control request (its reason is in the message)."""


class Simulators:
    """One HTTP client for the three simulators' control endpoints."""

    def __init__(self, urls: dict[str, str]) -> None:
        self.urls = {name: url.rstrip("/") for name, url in urls.items()}
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=TIMEOUT)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def get(self, platform: str, path: str, **query: Any) -> Any:
        """A control endpoint's JSON answer."""
        params = {key: str(value) for key, value in query.items()}
        try:
            async with self.session.get(self.urls[platform] + path, params=params) as response:
                return await self._json(response)
        except (aiohttp.ClientError, TimeoutError) as error:
            raise SimulatorError(f"{platform}: {type(error).__name__}") from error

    async def post(self, platform: str, path: str, values: dict[str, Any]) -> Any:
        """A control action (a person's message, a press); its JSON answer."""
        try:
            async with self.session.post(self.urls[platform] + path, json=values) as response:
                return await self._json(response)
        except (aiohttp.ClientError, TimeoutError) as error:
            raise SimulatorError(f"{platform}: {type(error).__name__}") from error

    async def media(self, platform: str, path: str, **query: Any) -> tuple[bytes, str]:
        """A photo's bytes and type, from a path the simulator gave."""
        params = {key: str(value) for key, value in query.items()}
        try:
            async with self.session.get(self.urls[platform] + path, params=params) as response:
                if response.status != 200:
                    raise SimulatorError(f"{platform}: no media at {path}")
                return await response.read(), response.content_type
        except (aiohttp.ClientError, TimeoutError) as error:
            raise SimulatorError(f"{platform}: {type(error).__name__}") from error

    @staticmethod
    async def _json(response: aiohttp.ClientResponse) -> Any:
        try:
            answer = await response.json(content_type=None)
        except ValueError:
            raise SimulatorError(f"HTTP {response.status}") from None
        if response.status != 200:
            reason = answer.get("error") if isinstance(answer, dict) else None
            raise SimulatorError(str(reason or f"HTTP {response.status}"))
        return answer
