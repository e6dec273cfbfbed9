"""The Telegram platform: aiogram polling in, the outbox's Telegram sender out."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from urllib.parse import quote

from aiogram import Bot
from aiogram.client.session.middlewares.base import NextRequestMiddlewareType
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramUnauthorizedError,
)
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType

from bots.telegram import NAME, menu
from bots.telegram.client import make_bot
from bots.telegram.handlers import dispatcher
from bots.telegram.limits import LIMITS as LIMITS  # the platform's part of the contract
from bots.telegram.moderators import Moderators
from bots.telegram.moves import ChatMoves
from bots.telegram.sender import TelegramSender, chat_ref
from bots.watch import PollingWatch
from config import ConfigError
from config.settings import Settings
from shared.logs import redact
from shared.platform import CheckResult
from shared.services import Services
from shared.texts import Texts

log = logging.getLogger(__name__)

REQUIRED = "GLASHATAI_TELEGRAM__TOKEN"


class TelegramRuntime:
    name = NAME

    def __init__(self, services: Services) -> None:
        self.services = services
        self.bot = make_bot(services.settings.telegram)
        self.moves = ChatMoves(services.settings.telegram)
        self.sender = TelegramSender(
            self.bot,
            services.db,
            services.settings.outbox,
            services.settings.telegram.channel_id,
            self.moves,
        )
        self.moderators = Moderators(self.bot, services.settings.telegram)
        self.dp = dispatcher(services, self.moderators, self.moves)
        self._task: asyncio.Task[None] | None = None
        self._menus: asyncio.Task[None] | None = None
        self.watch = PollingWatch()
        self.bot.session.middleware(self._watch_token)

    async def _watch_token(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        """aiogram retries a refused getUpdates for ever: a 401 is reported as a death."""
        try:
            return await make_request(bot, method)
        except TelegramUnauthorizedError:
            self.watch.report("Telegram refused the token (Unauthorized)")
            raise

    async def verify(self) -> None:
        """A revoked token is a configuration error, not a running bot that hears nothing.

        Called before the outbox starts: a wrong token must not fail any queued send.
        """
        try:
            await self.bot.me()
        except TelegramUnauthorizedError:
            raise ConfigError(
                f"{REQUIRED}: Telegram refused the token (Unauthorized): it was revoked or"
                " mistyped; get the current one from @BotFather"
            ) from None
        except TelegramNetworkError as exc:
            log.warning("Telegram: getMe failed (%s); polling will retry", exc.message)
            return
        await self._admin_chat_moved()

    async def _admin_chat_moved(self) -> None:
        """The admin chat's group may have become a supergroup while the app was down (or
        before this run, the configuration not yet changed): follow it before any send."""
        chat = self.services.settings.telegram.admin_chat_id
        if chat is None:
            return
        try:
            await self.bot.get_chat(chat)
        except TelegramMigrateToChat as exc:
            self.moves.follow(chat, exc.migrate_to_chat_id)
        except TelegramAPIError as exc:
            log.warning("Telegram: the admin chat %s: %s", chat, exc.message)

    def _polling_ended(self, task: asyncio.Task[None]) -> None:
        reason = "polling stopped"
        if not task.cancelled() and task.exception() is not None:
            reason = f"polling stopped: {type(task.exception()).__name__}"
        self.watch.report(reason)

    async def start(self) -> None:
        self.watch.arm()
        self._menus = asyncio.create_task(menu.install(self.bot, self.services), name="tg-menus")
        self._task = asyncio.create_task(
            self.dp.start_polling(
                self.bot,
                handle_signals=False,
                close_bot_session=False,
                allowed_updates=self.dp.resolve_used_update_types(),
                polling_timeout=20,
            ),
            name="telegram-polling",
        )
        self._task.add_done_callback(self._polling_ended)

    async def stop(self) -> None:
        self.watch.disarm()
        if self._menus is not None and not self._menus.done():
            self._menus.cancel()
        if self._task is None:
            return
        with contextlib.suppress(RuntimeError):
            await self.dp.stop_polling()
        try:
            await asyncio.wait_for(self._task, 5)
        except (TimeoutError, asyncio.CancelledError):
            self._task.cancel()

    async def close(self) -> None:
        await self.bot.session.close()


def build(services: Services) -> TelegramRuntime | None:
    if not services.settings.telegram.enabled:
        log.info("Telegram: skipped, %s is not set", REQUIRED)
        return None
    return TelegramRuntime(services)


async def deep_link(settings: Settings, payload: str) -> str | None:
    """``https://t.me/<bot>?start=<payload>``: opens the bot, which gets ``/start <payload>``.

    None when Telegram is not configured; the bot's username comes from ``getMe``.
    """
    if not settings.telegram.enabled:
        return None
    bot: Bot = make_bot(settings.telegram)
    try:
        me = await bot.get_me()
    finally:
        await bot.session.close()
    return f"https://t.me/{me.username}?start={quote(payload, safe='')}"


async def check(settings: Settings) -> list[CheckResult]:
    tg = settings.telegram
    texts = Texts.load()
    if not tg.enabled:
        said = texts("check.not_configured", required=REQUIRED)
        return [CheckResult(False, "Telegram", said, skipped=True)]
    results: list[CheckResult] = []
    bot: Bot = make_bot(tg)
    try:
        try:
            me = await bot.get_me()
        except TelegramNetworkError as exc:
            said = texts("check.unreachable", detail=redact(exc.message))
            return [CheckResult(False, "Telegram: getMe", said)]
        except TelegramAPIError as exc:
            said = texts("check.token_rejected", detail=redact(exc.message))
            return [CheckResult(False, "Telegram: getMe", said)]
        results.append(CheckResult(True, "Telegram: getMe", f"@{me.username} (id {me.id})"))
        for key, chat in (("admin_chat", tg.admin_chat_id), ("channel", tg.channel_id)):
            what = texts(f"check.{key}")
            if chat is None:
                results.append(CheckResult(False, f"Telegram: {what}", texts("check.not_set")))
                continue
            try:
                info = await bot.get_chat(chat_ref(str(chat)))
                member = await bot.get_chat_member(info.id, me.id)
            except TelegramAPIError as exc:
                results.append(CheckResult(False, f"Telegram: {what}", redact(exc.message)))
                continue
            admin = member.status in {"administrator", "creator"}
            results.append(
                CheckResult(
                    admin or key == "admin_chat",
                    f"Telegram: {what}",
                    texts(
                        "check.bot_is",
                        chat=info.title or info.username or info.id,
                        status=member.status,
                    ),
                )
            )
        if not tg.moderator_ids:
            results.append(
                CheckResult(
                    True,
                    f"Telegram: {texts('check.moderators')}",
                    texts("check.moderators_none"),
                )
            )
    finally:
        await bot.session.close()
    return results
