"""aiogram routers, one per handler module."""

from __future__ import annotations

from aiogram import Router

from bots.telegram.handlers import errors, start


def routers() -> list[Router]:
    return [errors.router, start.router]
