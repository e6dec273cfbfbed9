"""Shared bits of the fakes' control endpoints: driving a fake started by hand over HTTP.

Each fake serves ``/control/...`` beside its API (see ``telegram/control.py`` and
``vk/control.py``); the answers are JSON, a mistake is a 400 with ``{"error": "..."}``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.Response]]


class ControlError(Exception):
    """A control request the fake cannot act on (answered with 400)."""


def answer(value: Any) -> web.Response:
    return web.json_response(value, dumps=lambda v: json.dumps(v, ensure_ascii=False, default=str))


def guarded(handler: Handler) -> Handler:
    """Turn a ``ControlError`` or a malformed value into a 400 that names it."""

    async def run(request: web.Request) -> web.Response:
        try:
            return await handler(request)
        except (ControlError, KeyError, ValueError, TypeError) as error:
            reason = f"missing field {error}" if isinstance(error, KeyError) else str(error)
            return web.json_response({"error": reason}, status=400)

    return run


async def body(request: web.Request) -> dict[str, Any]:
    """The JSON object a control POST carries."""
    try:
        value = await request.json()
    except ValueError:
        raise ControlError("the body must be a JSON object") from None
    if not isinstance(value, dict):
        raise ControlError("the body must be a JSON object")
    return value


def integer(values: Any, name: str) -> int:
    """A required integer field of a query or a body (``-100…`` chat ids included)."""
    if name not in values:
        raise ControlError(f"missing field {name!r}")
    try:
        return int(values[name])
    except (TypeError, ValueError):
        raise ControlError(f"{name!r} must be an integer") from None


def photo(values: dict[str, Any]) -> bytes | None:
    """The optional ``photo`` field: an image's bytes in base64 (a person sends a photo)."""
    encoded = values.get("photo")
    if encoded is None:
        return None
    try:
        return base64.b64decode(str(encoded), validate=True)
    except (binascii.Error, ValueError):
        raise ControlError("'photo' must be base64") from None
