"""VK events to neutral calls into ``shared/``."""

from __future__ import annotations

import logging
from typing import Any

from shared.domain import Platform
from shared.replies import send_text
from shared.services import Services

log = logging.getLogger(__name__)

START_WORDS = {"начать", "start", "/start", "старт"}


async def handle_event(services: Services, event: dict[str, Any]) -> None:
    if event.get("type") != "message_new":
        return
    message = event["object"]["message"]
    text = str(message.get("text", "")).strip().lower()
    if text in START_WORDS:
        await send_text(
            services, Platform.VK, int(message["peer_id"]), services.texts("citizen.greeting")
        )
