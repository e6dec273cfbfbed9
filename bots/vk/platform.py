"""The VK platform: Bots Long Poll in, the outbox's VK sender out."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any
from urllib.parse import quote

import requests
from vk_api.exceptions import ApiError

from bots.vk import NAME
from bots.vk.client import VkClient
from bots.vk.handlers import handle_event
from bots.vk.limits import LIMITS as LIMITS  # the platform's part of the contract
from bots.vk.longpoll import LongPoller
from bots.vk.sender import VkSender
from bots.watch import PollingWatch
from config import ConfigError
from config.settings import Settings
from shared.logs import redact
from shared.platform import CheckResult
from shared.services import Services
from shared.texts import Texts

log = logging.getLogger(__name__)

AUTH_FAILED = 5  # VK's "User authorization failed": the token was revoked or is wrong

REQUIRED = "GLASHATAI_VK__GROUP_TOKEN, GLASHATAI_VK__GROUP_ID"


class VkRuntime:
    name = NAME

    def __init__(self, services: Services) -> None:
        self.services = services
        self.client = VkClient(services.settings.vk)
        self.sender = VkSender(self.client, services.db, services.settings.outbox)
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._poller: LongPoller | None = None
        self._task: asyncio.Task[None] | None = None
        if self.client.user is None:
            log.warning("VK: GLASHATAI_VK__USER_TOKEN is not set: wall posts are not possible")
        self.watch = PollingWatch()
        # vk_api calls these from its threads; returning None lets the error propagate.
        self.client.group.error_handlers[AUTH_FAILED] = self._token_refused

    def _token_refused(self, error: ApiError) -> None:
        self.watch.report("VK refused the community token (error 5)")

    async def verify(self) -> None:
        """A revoked token is a configuration error, not a running bot that hears nothing.

        Called before the outbox starts: a wrong token must not fail any queued send.
        """
        calls = [("GLASHATAI_VK__GROUP_TOKEN", self.client.group_call)]
        if self.client.user is not None:
            calls.append(("GLASHATAI_VK__USER_TOKEN", self.client.user_call))
        for variable, call in calls:
            try:
                await call("groups.getById", group_id=self.client.group_id)
            except ApiError as exc:
                if exc.code == AUTH_FAILED:
                    raise ConfigError(
                        f"{variable}: VK refused the token (error 5, authorization failed):"
                        " it was revoked or mistyped"
                    ) from None
                log.warning("VK: groups.getById failed at start-up: %s", exc)
            except requests.RequestException as exc:
                log.warning("VK: not reachable at start-up (%s); polling will retry", exc)

    async def start(self) -> None:
        self.watch.arm()
        self._poller = LongPoller(self.client, self.queue)
        self._poller.start()
        self._task = asyncio.create_task(self._consume(), name="vk-events")

    async def _consume(self) -> None:
        while True:
            event = await self.queue.get()
            try:
                await handle_event(self.services, event, self.client)
            except Exception:
                log.exception("VK: failed to handle an event of type %s", event.get("type"))
            finally:
                self.queue.task_done()

    async def stop(self) -> None:
        self.watch.disarm()
        if self._poller is not None:
            self._poller.stop()
        if self._task is not None:
            # Events already received are handled before the stop, not dropped.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.queue.join(), 5)
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def close(self) -> None:
        self.client.close()


def build(services: Services) -> VkRuntime | None:
    if not services.settings.vk.enabled:
        log.info("VK: skipped, %s are not set", REQUIRED)
        return None
    return VkRuntime(services)


async def deep_link(settings: Settings, payload: str) -> str | None:
    """``https://vk.me/club<ID>?ref=<payload>``: opens the community's messages; the first
    message written there carries ``ref``. None when VK is not configured."""
    if not settings.vk.enabled:
        return None
    return f"https://vk.me/club{settings.vk.group_id}?ref={quote(payload, safe='')}"


def _first_group(response: Any) -> dict[str, Any]:
    """groups.getById answers ``{"groups": [...]}`` since 5.194, a bare list before."""
    groups = response.get("groups", []) if isinstance(response, dict) else response
    return dict(groups[0])


async def check(settings: Settings) -> list[CheckResult]:
    vk = settings.vk
    texts = Texts.load()
    if not vk.enabled:
        said = texts("check.not_configured", required=REQUIRED)
        return [CheckResult(False, "VK", said, skipped=True)]
    community = f"VK: {texts('check.community_token')}"
    user = f"VK: {texts('check.user_token')}"
    client = VkClient(vk)
    results: list[CheckResult] = []
    try:
        try:
            groups = await client.group_call("groups.getById", group_id=vk.group_id)
            group = _first_group(groups)
            results.append(CheckResult(True, community, f"{group.get('name')} (id {group['id']})"))
        except ApiError as exc:
            results.append(CheckResult(False, community, redact(str(exc))))
        except Exception as exc:
            results.append(CheckResult(False, community, type(exc).__name__))
        if client.user is None:
            results.append(CheckResult(False, user, texts("check.user_token_not_set")))
        else:
            try:
                groups = await client.user_call(
                    "groups.getById", group_id=vk.group_id, fields="is_admin,admin_level"
                )
                group = _first_group(groups)
                admin = bool(group.get("is_admin")) and int(group.get("admin_level", 0)) >= 2
                detail = texts("check.can_post_to_wall" if admin else "check.not_wall_editor")
                results.append(CheckResult(admin, user, detail))
            except ApiError as exc:
                results.append(CheckResult(False, user, redact(str(exc))))
            except Exception as exc:
                results.append(CheckResult(False, user, type(exc).__name__))
    finally:
        client.close()
    return results
