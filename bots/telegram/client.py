"""The aiogram Bot, pointed at the configured Bot API server."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramBadRequest, TelegramServerError
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response

from config.settings import TelegramSettings

TOO_LARGE = "Request Entity Too Large: the file is over Telegram's upload limit"

# aiogram parses every answer as ``Response[method.__returning__]``; pydantic keeps such
# parametrised models in a weak cache, so whenever the garbage collector takes one the next
# call builds it again (milliseconds of schema work on the event loop, hundreds of times
# in a busy minute). Holding each one the bot has used keeps it built.
_RESPONSE_MODELS: dict[Any, Any] = {}


class UploadTooLarge(TelegramBadRequest):
    """HTTP 413: the request is over an upload limit. Sending it again can't help."""


class Session(AiohttpSession):
    """aiogram's session, with the answers of the proxy in front of the Bot API classified.

    Telegram's nginx answers a request over 50 MB with HTTP 413 and an HTML page; aiogram
    would raise a decoding error (or, for a JSON 413, a *network* error) and the outbox would
    call the send unreachable or unknown. It is a permanent "too large". Another non-JSON
    answer with a 5xx status (a 502 page) is a server error, retried like any other.
    """

    def check_response(
        self,
        bot: Bot,
        method: TelegramMethod[Any],
        status_code: int,
        content: str,
    ) -> Response[Any]:
        if status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE:
            raise UploadTooLarge(method=method, message=TOO_LARGE)
        if status_code >= HTTPStatus.INTERNAL_SERVER_ERROR and not _is_json(content):
            raise TelegramServerError(method=method, message=f"HTTP {status_code} (not JSON)")
        returning = method.__returning__
        if returning not in _RESPONSE_MODELS:
            _RESPONSE_MODELS[returning] = Response[returning]  # type: ignore[valid-type]
        return super().check_response(bot, method, status_code, content)


def _is_json(content: str) -> bool:
    return content.lstrip().startswith("{")


def make_bot(settings: TelegramSettings) -> Bot:
    if settings.token is None:
        raise ValueError("GLASHATAI_TELEGRAM__TOKEN is not set")
    session = Session(
        api=TelegramAPIServer.from_base(settings.api_base),
        timeout=settings.request_timeout,
    )
    return Bot(token=settings.token.get_secret_value(), session=session)
