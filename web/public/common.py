"""Small helpers the public handlers share."""

from __future__ import annotations

from aiohttp import web

from shared.services import Services
from web import ids
from web.keys import SERVICES, SETTINGS

MAX_PAGE = 999_999


def services(request: web.Request) -> Services:
    return request.app[SERVICES]


def page_size(request: web.Request) -> int:
    return request.app[SETTINGS].page_size


def page_number(request: web.Request) -> int:
    """``?page=N`` (from 1, in ASCII digits); anything else is the first page."""
    raw = request.query.get("page", "1")
    value = ids.number(raw) if len(raw) <= len(str(MAX_PAGE)) else None
    return value if value else 1


def path_id(request: web.Request) -> int:
    return ids.path_id(request, "id")
