"""The aiogram Bot, pointed at the configured Bot API server."""

from __future__ import annotations

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from config.settings import TelegramSettings


def make_bot(settings: TelegramSettings) -> Bot:
    if settings.token is None:
        raise ValueError("GLASHATAI_TELEGRAM__TOKEN is not set")
    session = AiohttpSession(
        api=TelegramAPIServer.from_base(settings.api_base),
        timeout=settings.request_timeout,
    )
    return Bot(token=settings.token.get_secret_value(), session=session)
