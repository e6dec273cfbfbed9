"""A hotline's deep link: the start payload that takes a citizen straight to it.

Every platform carries a short text from a link into the bot's first update (Telegram's
``/start <payload>``, VK's ``ref`` of a message started from a ``vk.me`` link, MAX's
``bot_started.payload``); the platform package builds the link and reads the payload back
into :attr:`shared.hotlines.model.Incoming.start_payload`. The payload is the same on every
platform and uses only characters each of them allows (Latin letters, digits, ``_``).
The text that arrives is the citizen's to write: it is parsed, never trusted.
"""

from __future__ import annotations

import re

PREFIX = "hotline_"
_PAYLOAD = re.compile(rf"{PREFIX}([1-9][0-9]{{0,9}})")


def start_payload(hotline_id: int) -> str:
    """The payload of the link to hotline ``hotline_id``."""
    return f"{PREFIX}{hotline_id}"


def hotline_of(payload: str | None) -> int | None:
    """The hotline a start payload names; None for anything else (no link, another link)."""
    found = _PAYLOAD.fullmatch((payload or "").strip())
    return int(found[1]) if found else None
