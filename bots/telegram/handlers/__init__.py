"""aiogram routers, one per handler module, built fresh for each dispatcher."""

from __future__ import annotations

from aiogram import Router

from bots.telegram.handlers import (
    citizen,
    errors,
    fallback,
    hotline_admin,
    moderation,
    posts,
    start,
    web_login,
)


def routers() -> list[Router]:
    """The routers in the order updates try them (the fallback takes stray buttons last)."""
    return [
        errors.router(),
        start.router(),
        posts.router(),
        hotline_admin.router(),
        web_login.router(),
        citizen.router(),
        moderation.router(),
        fallback.router(),
    ]
