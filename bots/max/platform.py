"""The MAX platform: long polling in, the outbox's MAX sender out."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from maxapi.exceptions.max import InvalidToken, MaxApiError

from bots.max import NAME
from bots.max.client import MaxHttp, make_bot
from bots.max.handlers import handle_update
from bots.max.limits import LIMITS as LIMITS  # the platform's part of the contract
from bots.max.longpoll import LongPoller
from bots.max.render import TEXT_LIMIT
from bots.max.sender import MaxSender
from bots.watch import PollingWatch
from config import ConfigError
from config.settings import Settings
from shared.logs import redact
from shared.platform import CheckResult
from shared.services import Services
from shared.texts import Texts

log = logging.getLogger(__name__)

REQUIRED = "GLASHATAI_MAX__TOKEN"  # and GLASHATAI_MAX__CHANNEL_ID to publish


MESSAGE_LIMIT = TEXT_LIMIT


class MaxRuntime:
    name = NAME

    def __init__(self, services: Services) -> None:
        self.services = services
        settings = services.settings.max
        self.http = MaxHttp(settings)
        self.bot = make_bot(settings)
        self.sender = MaxSender(
            self.http, services.db, services.settings.outbox, settings.channel_id
        )
        self.watch = PollingWatch()
        self._poller: LongPoller | None = None

    async def verify(self) -> None:
        """A revoked token is a configuration error, found before the outbox starts."""
        try:
            await self.bot.get_me()
        except InvalidToken:
            raise ConfigError(
                "GLASHATAI_MAX__TOKEN: MAX refused the token: it was revoked or mistyped"
            ) from None
        except Exception as exc:
            log.warning(
                "MAX: not reachable at start-up (%s); polling will retry", type(exc).__name__
            )

    async def _handle(self, update: dict[str, Any]) -> None:
        await handle_update(self.services, update, self.http, self.bot)

    async def start(self) -> None:
        self.watch.arm()
        self._poller = LongPoller(
            self.bot,
            self._handle,
            self.services.settings.max.longpoll_timeout,
            lambda: self.watch.report("MAX refused the bot token"),
            self.services.db,
            NAME,
        )
        self._poller.start()

    async def stop(self) -> None:
        self.watch.disarm()
        if self._poller is not None:
            await self._poller.stop()

    async def close(self) -> None:
        await self.http.close()
        await self.bot.close_session()


def build(services: Services) -> MaxRuntime | None:
    settings = services.settings
    if not settings.max.enabled:
        log.info("MAX: skipped, %s is not set", "GLASHATAI_MAX__TOKEN")
        return None
    if not settings.max.channel_id:
        log.warning("MAX: GLASHATAI_MAX__CHANNEL_ID is not set: posts are not published in MAX")
    tg = settings.telegram
    if not tg.enabled or tg.admin_chat_id is None:
        log.info(
            "MAX: citizens' questions need the Telegram admin chat for moderation"
            " (GLASHATAI_TELEGRAM__TOKEN and GLASHATAI_TELEGRAM__ADMIN_CHAT_ID)"
        )
    return MaxRuntime(services)


async def deep_link(settings: Settings, payload: str) -> str | None:
    """``https://max.ru/<bot>?start=<payload>`` (MAX's deep-link format, payload up to 128
    characters): the bot gets ``bot_started`` with the payload. None when MAX is not
    configured; the bot's name comes from ``GET /me``."""
    if not settings.max.enabled:
        return None
    bot = make_bot(settings.max)
    try:
        me = await bot.get_me()
    finally:
        await bot.close_session()
    return f"https://max.ru/{me.username}?start={quote(payload, safe='')}"


async def check(settings: Settings) -> list[CheckResult]:
    cfg = settings.max
    texts = Texts.load()
    if not cfg.enabled:
        said = texts("config.platform.not_configured_max")
        return [CheckResult(False, "MAX", said, skipped=True)]
    token = f"MAX: {texts('check.bot_token')}"
    channel = f"MAX: {texts('check.channel')}"
    bot = make_bot(cfg)
    results: list[CheckResult] = []
    try:
        try:
            me = await bot.get_me()
            results.append(CheckResult(True, token, redact(f"@{me.username} (id {me.user_id})")))
        except InvalidToken:
            return [CheckResult(False, token, texts("check.bot_token_refused"))]
        except Exception as exc:
            return [CheckResult(False, token, type(exc).__name__)]
        if cfg.channel_id is None:
            said = texts("check.variable_not_set", variable="GLASHATAI_MAX__CHANNEL_ID")
            results.append(CheckResult(False, channel, said))
            return results
        try:
            member = await bot.get_me_from_chat(cfg.channel_id)
            rights = [str(getattr(p, "value", p)) for p in member.permissions or []]
            ok = bool(member.is_admin) and "write" in rights
            detail = texts("check.max_bot_can_post" if ok else "check.max_bot_cannot_post")
            results.append(CheckResult(ok, channel, detail))
        except MaxApiError as exc:
            results.append(CheckResult(False, channel, texts("check.http_error", code=exc.code)))
        except Exception as exc:
            results.append(CheckResult(False, channel, type(exc).__name__))
    finally:
        await bot.close_session()
    return results
