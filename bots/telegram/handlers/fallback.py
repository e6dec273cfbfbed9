"""Buttons no other router took: forged, stale, or from a feature that is gone."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.enums import ChatType
from aiogram.types import CallbackQuery

from shared.callbacks import CallbackToken
from shared.services import Services

log = logging.getLogger(__name__)


async def unknown_button(
    query: CallbackQuery, services: Services, token: CallbackToken | None
) -> None:
    """Nothing happens, and Telegram stops the spinner; in a private chat (a citizen's)
    the press is answered with a notice that the button is out of date."""
    if token is None:
        log.info("button with an unknown token from %s ignored", query.from_user.id)
    message = query.message
    if message is not None and message.chat.type == ChatType.PRIVATE:
        await query.answer(services.texts("citizen.stale_button"))
    else:
        await query.answer()


def router() -> Router:
    found = Router(name=__name__)
    found.callback_query.register(unknown_button)
    return found
