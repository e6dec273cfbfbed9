"""aiogram routers, one per handler module, built fresh for each dispatcher."""

from __future__ import annotations

from aiogram import Dispatcher, Router

from bots.telegram.handlers import (
    alerts,
    citizen,
    errors,
    fallback,
    hotline_admin,
    moderation,
    posts,
    report,
    start,
    web_login,
)
from bots.telegram.middleware import CallbackTokenMiddleware
from bots.telegram.moderators import Moderators
from shared.services import Services


def dispatcher(services: Services, moderators: Moderators) -> Dispatcher:
    """A dispatcher of its own routers: each runtime (a restart in tests too) builds one."""
    built = Dispatcher(name="glashatai")
    built["services"] = services
    built["moderators"] = moderators
    built.callback_query.outer_middleware(CallbackTokenMiddleware())
    built.include_routers(*routers())
    return built


def routers() -> list[Router]:
    """The routers in the order updates try them (the fallback takes stray buttons last)."""
    return [
        errors.router(),
        start.router(),
        alerts.router(),
        alerts.citizen_router(),
        posts.router(),
        hotline_admin.router(),
        report.router(),
        web_login.router(),
        citizen.router(),
        moderation.router(),
        fallback.router(),
    ]
