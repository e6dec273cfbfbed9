"""aiogram routers, one per handler module, built fresh for each dispatcher."""

from __future__ import annotations

from aiogram import Dispatcher, Router

from bots.telegram.handlers import (
    alerts,
    chat_moves,
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
from bots.telegram.moves import ChatMoves
from shared.services import Services


def dispatcher(services: Services, moderators: Moderators, moves: ChatMoves) -> Dispatcher:
    """A dispatcher of its own routers: each runtime (a restart in tests too) builds one."""
    built = Dispatcher(name="glashatai")
    built["services"] = services
    built["moderators"] = moderators
    built["moves"] = moves
    built.callback_query.outer_middleware(CallbackTokenMiddleware())
    built.include_routers(*routers())
    return built


def routers() -> list[Router]:
    """The routers in the order updates try them (the fallback takes stray buttons last).

    Replies to a question card (moderation) and to a post, and messages in the publishing
    topic (posts), come before the admin chat's dialogues (alerts, hotlines): a dialogue
    takes any other plain message of a moderator halfway through it, and must not take an
    answer meant for a citizen or a post's edit.
    """
    return [
        errors.router(),
        chat_moves.router(),
        start.router(),
        posts.router(),
        moderation.router(),
        alerts.router(),
        alerts.citizen_router(),
        hotline_admin.router(),
        report.router(),
        web_login.router(),
        citizen.router(),
        fallback.router(),
    ]
