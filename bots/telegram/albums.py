"""Telegram albums in the admin chat: one update per photo, acted on as one message.

Telegram delivers an album as separate messages sharing a ``media_group_id`` (the caption
on one of them), handled side by side. A feature that must treat the album as one thing
(a post, an answer to a card) collects its parts here, keyed by (chat id, media group),
and acts once no new part has come for a moment. Each router holds its own collector, and
acts at once on what it holds when the app stops (:meth:`Albums.flush`): the parts' updates
are already confirmed to Telegram, so an album dropped then would never come again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from aiogram.types import Message

AlbumKey = tuple[int, str]
# What to do with the album's parts once they are all in (oldest first).
AlbumAction = Callable[[list[Message]], Awaitable[None]]


def album_key(message: Message) -> AlbumKey:
    """The album a message belongs to: a media group is unique only within its chat."""
    return (message.chat.id, message.media_group_id or "")


class Albums:
    """Collects an album's messages (one update each) before acting on them as one."""

    def __init__(self) -> None:
        self.groups: dict[AlbumKey, list[Message]] = {}
        self.tasks: dict[AlbumKey, asyncio.Task[None]] = {}
        self.actions: dict[AlbumKey, AlbumAction] = {}
        self.claimed: dict[AlbumKey, asyncio.Event] = {}
        # Every task until it ends: the loop keeps only weak references to tasks.
        self.running: set[asyncio.Task[None]] = set()

    def __contains__(self, key: AlbumKey) -> bool:
        return key in self.groups

    def claim(self, key: AlbumKey) -> None:
        """Mark the album as ours at once: its other parts are checked while this part's
        handler still waits for the moderator check, and must find it."""
        self.groups.setdefault(key, [])
        self.claimed.setdefault(key, asyncio.Event()).set()

    async def claimed_within(self, key: AlbumKey, seconds: float) -> bool:
        """Whether the part that says what the album is for claims it within ``seconds``.

        An album's parts are separate updates handled side by side, and a part without the
        caption may be checked before the part with it.
        """
        event = self.claimed.setdefault(key, asyncio.Event())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), seconds)
        if not event.is_set() and key not in self.groups:
            self.claimed.pop(key, None)
        return key in self.groups

    def add(self, message: Message, wait: float, then: AlbumAction) -> None:
        """Keep the part; ``then`` runs with all parts ``wait`` seconds after the last one."""
        key = album_key(message)
        self.groups.setdefault(key, []).append(message)
        self.actions[key] = then
        task = self.tasks.pop(key, None)
        if task is not None:
            task.cancel()
        self.tasks[key] = later = asyncio.create_task(self._later(key, wait))
        self.running.add(later)
        later.add_done_callback(self.running.discard)

    async def flush(self) -> None:
        """The app is stopping: act now on every album still being collected."""
        for key in list(self.tasks):
            self.tasks.pop(key).cancel()
            await self._act(key)

    async def _later(self, key: AlbumKey, wait: float) -> None:
        await asyncio.sleep(wait)
        self.tasks.pop(key, None)
        await self._act(key)

    async def _act(self, key: AlbumKey) -> None:
        self.claimed.pop(key, None)
        then = self.actions.pop(key)
        await then(sorted(self.groups.pop(key, []), key=lambda m: m.message_id))
