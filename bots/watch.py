"""How a platform tells the app that it stopped receiving updates.

A revoked token or a polling loop that ended leaves the process looking alive while no
citizen is heard; the app turns the report into an unhealthy heartbeat and a notice in the
admin chat.
"""

from __future__ import annotations

import asyncio


class PollingWatch:
    """Carries one report (the first reason) from the platform to the app, from any thread."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._died: asyncio.Future[str] | None = None
        self._stopping = False

    def arm(self) -> None:
        """Called by the platform's ``start()``, on the app's event loop."""
        self._loop = asyncio.get_running_loop()
        self._died = self._loop.create_future()

    def disarm(self) -> None:
        """A stop on purpose is not a death."""
        self._stopping = True

    def report(self, reason: str) -> None:
        """Safe from the event loop and from a platform's own threads."""
        if self._loop is None or self._stopping or self._loop.is_closed():
            return
        self._loop.call_soon_threadsafe(self._set, reason)

    def _set(self, reason: str) -> None:
        if self._died is not None and not self._died.done() and not self._stopping:
            self._died.set_result(reason)

    async def died(self) -> str:
        """The reason, once the platform stopped receiving updates."""
        assert self._died is not None, "arm() first"
        return await asyncio.shield(self._died)
