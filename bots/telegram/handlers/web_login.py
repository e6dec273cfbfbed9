"""``/web`` in the admin chat: a moderator gets a one-time staff desk link in a private
message (through the outbox, like every send). At start-up this router also hands the
desk the moderator check, so the web part asks the same allowlist without aiogram."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bots.telegram import NAME
from bots.telegram.filters import InAdminChat
from bots.telegram.handlers.moderation import say
from bots.telegram.moderators import Moderators, guarded
from shared.domain import OutboxAction
from shared.hotlines.model import Moderator
from shared.outbox import store
from shared.outbox.model import OutboxMessage
from shared.outbox.payload import message as outbox_message
from shared.richtext import from_plain
from shared.services import Services
from web.desk import links
from web.desk.keys import MODERATORS

# A login link is wanted now: ahead of hotline cards and routine notices.
LINK_PRIORITY = 40


async def publish_moderators(services: Services, moderators: Moderators) -> None:
    services.features[MODERATORS] = moderators


async def web_link(message: Message, services: Services, moderator: Moderator) -> None:
    web = services.settings.web
    if not web.enabled or web.secret_key is None:
        await say(services, services.texts("web.desk.bot.off"), message.message_id)
        return
    user = message.from_user
    name = user.full_name if user is not None else moderator.name
    owner = links.Owner(user_id=moderator.id, actor=moderator.actor, name=name)
    async with services.db.write() as conn:
        token = await links.issue(conn, owner)
        if token is not None:
            text = services.texts(
                "web.desk.bot.link",
                url=links.url(web.public_url, token),
                minutes=int(links.LINK_TTL.total_seconds() // 60),
            )
            await store.enqueue(
                conn,
                OutboxMessage(
                    platform=NAME,
                    action=OutboxAction.SEND,
                    destination=str(moderator.id),
                    payload=outbox_message(from_plain(text)),
                    priority=LINK_PRIORITY,
                ),
            )
    services.wake_outbox()
    key = "web.desk.bot.sent" if token is not None else "web.desk.bot.too_many"
    await say(services, services.texts(key), message.message_id)


def router() -> Router:
    """``/web`` for moderators only; the moderator check handed to the desk at start-up."""
    found = guarded(Router(name=__name__))
    found.startup.register(publish_moderators)
    found.message.register(web_link, Command("web"), InAdminChat())
    return found
