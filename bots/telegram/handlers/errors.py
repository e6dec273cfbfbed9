"""The one place Telegram turns a domain error into Russian text for the person."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import ErrorEvent

from bots.telegram import NAME
from shared.errors import GlashataiError
from shared.replies import send_text
from shared.services import Services

log = logging.getLogger(__name__)


async def domain_error(event: ErrorEvent, services: Services) -> None:
    error = event.exception
    assert isinstance(error, GlashataiError)
    update = event.update
    chat = None
    message = update.message or update.edited_message
    if message is not None:
        chat = message.chat.id
    elif update.callback_query is not None and update.callback_query.message is not None:
        chat = update.callback_query.message.chat.id
    log.info("domain error shown to chat %s: %s", chat, type(error).__name__)
    if chat is not None:
        await send_text(services, NAME, chat, services.texts.explain(error))


def router() -> Router:
    found = Router(name=__name__)
    found.errors.register(domain_error, ExceptionTypeFilter(GlashataiError))
    return found
