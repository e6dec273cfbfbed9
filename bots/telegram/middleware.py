"""Per-update data: the server-side meaning of a pressed button."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.filters import Filter
from aiogram.types import CallbackQuery, TelegramObject

from shared import callbacks
from shared.callbacks import CallbackToken
from shared.services import Services

# What a middleware hands the update on to: the next middleware, or the handler.
Next = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class CallbackTokenMiddleware(BaseMiddleware):
    """Resolves ``callback_data`` to a :class:`CallbackToken` (None when forged or stale)."""

    async def __call__(self, handler: Next, event: TelegramObject, data: dict[str, Any]) -> Any:
        if isinstance(event, CallbackQuery):
            services: Services = data["services"]
            async with services.db.read() as conn:
                data["token"] = await callbacks.resolve(conn, event.data or "")
        return await handler(event, data)


class Action(Filter):
    """Matches a button whose server-side action starts with ``prefix``."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    async def __call__(self, event: TelegramObject, token: CallbackToken | None = None) -> bool:
        return token is not None and token.action.startswith(self.prefix)
