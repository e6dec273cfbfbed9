"""aiogram routers, one per handler module."""

from __future__ import annotations

from aiogram import Router

from bots.telegram.handlers import start


def routers() -> list[Router]:
    return [start.router]
