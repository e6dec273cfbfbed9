"""The MAX Bot API: maxapi for reading (``/me``, updates, callback answers), aiohttp for sends.

The outbox's sends go through :class:`MaxHttp`, one plain HTTP request per call, because
maxapi 1.2 does more than one call per send: it uploads, waits and resends on
``attachment.not.ready`` and on 502/503/504 inside ``send_message``, which a journalled
send-once sender can't record step by step, and its ``edit_message`` always sends
``attachments: []``, which drops a post's photos. The token goes only in the
``Authorization`` header, never in a URL (so never in a log).
"""

from __future__ import annotations

from typing import Any

import aiohttp
from maxapi import Bot
from maxapi.client.default import DefaultConnectionProperties

from config.settings import MaxSettings


class MaxFailure(Exception):
    """MAX answered an error: the HTTP status and MAX's ``{code, message}``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"MAX HTTP {status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class MaxHttp:
    """One aiohttp session on the API base; JSON in, JSON out, errors as :class:`MaxFailure`."""

    def __init__(self, settings: MaxSettings) -> None:
        if settings.token is None:
            raise ValueError("GLASHATAI_MAX__TOKEN must be set")
        self.settings = settings
        self.base = settings.api_base
        self._token = settings.token.get_secret_value()
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.settings.request_timeout),
                headers={"User-Agent": "Glashatai (+https://github.com/glashatai)"},
            )
        return self._session

    async def call(
        self, verb: str, path: str, *, query: dict[str, Any] | None = None, body: Any = None
    ) -> Any:
        params = {k: str(v) for k, v in (query or {}).items() if v is not None}
        async with self.session().request(
            verb,
            self.base + path,
            params=params,
            json=body,
            headers={"Authorization": self._token},
        ) as response:
            data = await response.json(content_type=None)
            if response.status >= 400:
                answer = data if isinstance(data, dict) else {}
                raise MaxFailure(
                    response.status,
                    str(answer.get("code") or answer.get("error_code") or "error"),
                    str(answer.get("message") or response.reason or ""),
                )
            return data

    async def upload(self, kind: str, data: bytes, filename: str) -> str:
        """Upload a file (``image`` or ``file``); returns the token to attach it by."""
        slot = await self.call("POST", "/uploads", query={"type": kind})
        form = aiohttp.FormData()
        form.add_field("data", data, filename=filename)
        async with self.session().post(
            str(slot["url"]), data=form, headers={"Authorization": self._token}
        ) as response:
            answer = await response.json(content_type=None)
            if response.status >= 400 or not isinstance(answer, dict):
                code = answer.get("error_code", "upload") if isinstance(answer, dict) else ""
                raise MaxFailure(response.status, str(code), "upload refused")
        if kind == "image":
            photos = answer.get("photos") or {}
            return str(next(iter(photos.values()))["token"])
        return str(answer.get("token") or slot.get("token"))

    async def download(self, url: str, limit: int) -> bytes | None:
        """A citizen's file by its URL (no token: MAX's media URLs are signed)."""
        async with self.session().get(url) as response:
            if response.status != 200:
                return None
            data = await response.content.read(limit + 1)
        return None if len(data) > limit else data

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


def make_bot(settings: MaxSettings) -> Bot:
    """maxapi's bot on our API base, with no retries of its own: the outbox retries."""
    if settings.token is None:
        raise ValueError("GLASHATAI_MAX__TOKEN must be set")
    bot = Bot(
        settings.token.get_secret_value(),
        default_connection=DefaultConnectionProperties(
            timeout=settings.request_timeout + settings.longpoll_timeout, max_retries=0
        ),
        auto_check_subscriptions=False,
    )
    bot.set_api_url(settings.api_base)
    return bot
