"""Buttons no other router took: forged, stale, or from a feature that is gone."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.types import CallbackQuery

from shared.callbacks import CallbackToken

log = logging.getLogger(__name__)


async def unknown_button(query: CallbackQuery, token: CallbackToken | None) -> None:
    """Nothing happens, and Telegram stops the spinner."""
    if token is None:
        log.info("button with an unknown token from %s ignored", query.from_user.id)
    await query.answer()


def router() -> Router:
    found = Router(name=__name__)
    found.callback_query.register(unknown_button)
    return found
