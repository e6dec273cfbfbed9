"""Bots Long Poll in a daemon thread, handing events to the event loop.

A daemon thread, not the executor: a long poll request blocks for up to ``wait`` seconds,
and the executor's threads would hold the process at exit until it returns.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

import requests
from vk_api.bot_longpoll import VkBotLongPoll
from vk_api.exceptions import ApiError

from bots.vk.client import VkClient

log = logging.getLogger(__name__)


class LongPoller:
    def __init__(self, client: VkClient, queue: asyncio.Queue[dict[str, Any]]) -> None:
        self.client = client
        self.queue = queue
        self.loop = asyncio.get_running_loop()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="vk-longpoll", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        poll: VkBotLongPoll | None = None
        delay = 1.0
        while not self._stop.is_set():
            try:
                if poll is None:
                    poll = VkBotLongPoll(
                        self.client.group,
                        self.client.group_id,
                        wait=self.client.settings.longpoll_wait,
                    )
                for event in poll.check():
                    if self._stop.is_set():
                        return
                    self.loop.call_soon_threadsafe(self.queue.put_nowait, event.raw)
                delay = 1.0
            except (requests.RequestException, ApiError, ValueError, KeyError) as exc:
                log.warning("VK long poll: %s; retrying in %.0fs", type(exc).__name__, delay)
                poll = None
                if self._stop.wait(delay):
                    return
                delay = min(delay * 2, 60.0)
            except RuntimeError:
                return  # the event loop closed under us: the app is stopping
