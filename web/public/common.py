"""Small helpers the public handlers share."""

from __future__ import annotations

from aiohttp import web

from shared.services import Services
from web.keys import SERVICES, SETTINGS


def services(request: web.Request) -> Services:
    return request.app[SERVICES]


def page_size(request: web.Request) -> int:
    return request.app[SETTINGS].page_size


def page_number(request: web.Request) -> int:
    """``?page=N`` (from 1); anything else is the first page."""
    raw = request.query.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < len(raw) < 7 else 1


def path_id(request: web.Request) -> int:
    raw = request.match_info["id"]
    if len(raw) > 18:
        raise web.HTTPNotFound()
    return int(raw)
