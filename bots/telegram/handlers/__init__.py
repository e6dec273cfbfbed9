"""aiogram routers, one per handler module."""

from __future__ import annotations

from aiogram import Router

from bots.telegram.handlers import (
    citizen,
    errors,
    hotline_admin,
    moderation,
    posts,
    start,
)


def routers() -> list[Router]:
    return [
        errors.router,
        start.router,
        posts.router,
        hotline_admin.router,
        citizen.router,
        moderation.router,
    ]
