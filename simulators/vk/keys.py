"""Typed aiohttp application keys."""

from __future__ import annotations

from aiohttp import web

from .state import State

STATE_KEY = web.AppKey("fake_vk_state", State)
