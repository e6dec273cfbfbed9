"""Updates by long polling (``GET /updates``), each batch handled before it is acknowledged.

A poll names ``marker``, where the last one ended; the batch it brings is handled, then
the new marker is stored in our database (``poll_markers``) and the next poll names it.
A restart, even after a kill, resumes at the stored marker: nothing is lost, and nothing
is repeated but a batch cut off in the middle of its handling. MAX also acknowledges what
precedes a named marker, so a stop names the last one at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from maxapi import Bot
from maxapi.exceptions.max import InvalidToken

from shared.storage import markers
from shared.storage.engine import Database

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], Awaitable[None]]
TYPES = ["bot_started", "message_created", "message_callback", "bot_stopped"]


def sender_of(update: dict[str, Any]) -> int | None:
    """The user an update comes from, whatever its type."""
    user = (
        update.get("user")
        or ((update.get("message") or {}).get("sender") if "callback" not in update else None)
        or (update.get("callback") or {}).get("user")
        or {}
    )
    found = user.get("user_id")
    return int(found) if found is not None else None


class LongPoller:
    def __init__(
        self,
        bot: Bot,
        handle: Handler,
        timeout: int,
        refused: Callable[[], None],
        db: Database,
        source: str,
    ) -> None:
        self.bot = bot
        self.db = db
        self.source = source
        self.handle = handle
        self.timeout = timeout
        self.refused = refused
        self.marker: int | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._handling = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="max-longpoll")

    async def _run(self) -> None:
        delay = 1.0
        async with self.db.read() as conn:
            self.marker = await markers.get(conn, self.source)
        while not self._stopping:
            try:
                answer = await self.bot.get_updates(
                    marker=self.marker,
                    timeout=self.timeout,
                    types=TYPES,  # type: ignore[arg-type]
                )
            except asyncio.CancelledError:
                raise
            except InvalidToken:
                log.error("MAX refused the bot token: updates stopped")
                self.refused()
                return
            except Exception as exc:
                log.warning("MAX long poll: %s; retrying in %.0fs", type(exc).__name__, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60.0)
                continue
            delay = 1.0
            self._handling = True
            try:
                await self._batch(answer.get("updates") or [])
            finally:
                self._handling = False
            if answer.get("marker") is not None:
                self.marker = int(answer["marker"])
                await self._keep(self.marker)

    async def _keep(self, marker: int) -> None:
        """Store the marker; a database hiccup only means the batch may be seen again."""
        try:
            async with self.db.write() as conn:
                await markers.put(conn, self.source, marker)
        except Exception as exc:
            log.warning("MAX: the updates marker was not stored: %s", type(exc).__name__)

    async def _batch(self, updates: list[dict[str, Any]]) -> None:
        """Each citizen's updates in order; different citizens' side by side."""
        by_user: dict[Any, list[dict[str, Any]]] = {}
        for index, update in enumerate(updates):
            by_user.setdefault(sender_of(update) or f"#{index}", []).append(update)
        await asyncio.gather(*(self._in_order(mine) for mine in by_user.values()))

    async def _in_order(self, updates: list[dict[str, Any]]) -> None:
        for update in updates:
            try:
                await self.handle(update)
            except Exception:
                kind = update.get("update_type")
                log.exception("MAX: failed to handle an update of type %s", kind)

    async def stop(self) -> None:
        """Stop polling; acknowledge what was handled (a poll that waits for nothing)."""
        self._stopping = True
        if self._task is not None:
            if not self._handling:
                self._task.cancel()  # waiting for updates: nothing is lost by leaving now
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._task), 5)
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.marker is not None:
            try:
                await self.bot.get_updates(marker=self.marker, timeout=0, limit=1)
            except Exception as exc:
                log.warning("MAX: the last updates were not acknowledged: %s", type(exc).__name__)
