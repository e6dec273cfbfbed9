"""vk_api, pointed at the configured API base and kept off the event loop.

vk_api posts to the hard-coded ``https://api.vk.ru/method/``; the ``requests.Session`` it
accepts rewrites that prefix to ``GLASHATAI_VK__API_BASE`` (a proxy in production, the
fake server in tests) and gives every request a timeout. vk_api blocks, so every call
runs in a small thread pool of its own.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from typing import Any, TypeVar

import requests
import vk_api
from vk_api.vk_api import CAPTCHA_ERROR_CODE, TOO_MANY_RPS_CODE

from config.settings import VkSettings

VK_DEFAULT_BASE = "https://api.vk.ru"
T = TypeVar("T")


class UploadTooLarge(Exception):
    """HTTP 413 from VK (an upload host's nginx): the file is over VK's limit for good."""


class VkSession(requests.Session):
    """Sends vk_api's requests to our API base, always with a timeout."""

    def __init__(self, api_base: str, timeout: float) -> None:
        super().__init__()
        self.api_base = api_base.rstrip("/")
        self.timeout = timeout
        self.headers["User-Agent"] = "Glashatai (+https://github.com/glashatai)"

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        if isinstance(url, str) and url.startswith(VK_DEFAULT_BASE + "/"):
            url = self.api_base + url[len(VK_DEFAULT_BASE) :]
        kwargs.setdefault("timeout", self.timeout)
        response = super().request(method, url, *args, **kwargs)
        if response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE:
            # Not JSON: left to vk_api it is a decoding error, retried as if VK were down.
            raise UploadTooLarge(f"VK HTTP 413: {response.reason or 'Request Entity Too Large'}")
        return response


def make_api(settings: VkSettings, token: str) -> vk_api.VkApi:
    api = vk_api.VkApi(
        token=token,
        api_version=settings.api_version,
        session=VkSession(settings.api_base, settings.request_timeout),
    )
    # Pacing, 429-like errors and captchas are the outbox's business, not vk_api's.
    api.RPS_DELAY = 0
    api.error_handlers.pop(TOO_MANY_RPS_CODE, None)
    api.error_handlers.pop(CAPTCHA_ERROR_CODE, None)
    return api


class VkClient:
    """Both VK tokens and the thread pool their calls run in."""

    def __init__(self, settings: VkSettings) -> None:
        if settings.group_token is None or settings.group_id is None:
            raise ValueError("GLASHATAI_VK__GROUP_TOKEN and GLASHATAI_VK__GROUP_ID must be set")
        self.settings = settings
        self.group_id = settings.group_id
        self.group = make_api(settings, settings.group_token.get_secret_value())
        self.user = (
            make_api(settings, settings.user_token.get_secret_value())
            if settings.user_token is not None
            else None
        )
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="vk")

    async def run(self, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, functools.partial(func, *args, **kwargs))

    async def group_call(self, method: str, **values: Any) -> Any:
        return await self.run(self.group.method, method, values)

    async def user_call(self, method: str, **values: Any) -> Any:
        if self.user is None:
            raise ValueError("GLASHATAI_VK__USER_TOKEN is not set")
        return await self.run(self.user.method, method, values)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.group.http.close()
        if self.user is not None:
            self.user.http.close()
