"""``glashatai run``: every configured platform, the outbox and the scheduler in one process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from bots import health, heap
from bots.registry import deep_links, platform_modules, post_limits
from bots.watch import PollingWatch
from config import ConfigError, Settings
from scheduler.runner import Scheduler
from shared import alerts as alerts_feature
from shared import hotlines as hotlines_feature
from shared import posts as posts_feature
from shared.domain import OutboxAction
from shared.outbox import store
from shared.outbox.dispatcher import Dispatcher
from shared.outbox.model import OutboxMessage
from shared.outbox.payload import message
from shared.platform import PlatformRuntime
from shared.richtext import from_plain
from shared.services import Services
from shared.storage import citizens, migrate
from shared.storage.instance import AlreadyRunning, InstanceLock
from web.server import WebServer

log = logging.getLogger("glashatai")

STOP_GRACE = 5.0

# Each feature's install(services) registers its planners and outbox hooks.
FEATURES: list[Callable[[Services], None]] = [
    posts_feature.install,
    hotlines_feature.install,
    alerts_feature.install,
]
HEARTBEAT_SECONDS = 30
LOCK_CHECK_SECONDS = 5
ADMIN_NOTICE_PRIORITY = 10
PLATFORM_TITLES = {"telegram": "Telegram", "vk": "ВКонтакте"}


class NothingConfigured(ConfigError):
    """No platform has its credentials: a first run, answered with what to fill in."""


@runtime_checkable
class Watched(Protocol):
    """A runtime that proves its tokens before the outbox starts and reports its death."""

    watch: PollingWatch

    async def verify(self) -> None: ...


class App:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.services = Services.build(settings)
        self.services.limits = post_limits()
        self.services.deep_links = lambda payload: deep_links(settings, payload)
        for install in FEATURES:
            install(self.services)
        self.runtimes: list[PlatformRuntime] = []
        self.dispatcher: Dispatcher | None = None
        self.scheduler: Scheduler | None = None
        self.web = WebServer.configured(self.services)
        self._stop = asyncio.Event()
        self.lock = InstanceLock(self.services.db)
        self._dispatch_task: asyncio.Task[None] | None = None
        self._watches: list[asyncio.Task[None]] = []
        self._dead: dict[str, str] = {}
        self._stopped = False

    async def start(self) -> None:
        """Start everything; one part failing stops what had started, so nothing is left
        open (a client's connections, the web port, the lock) whoever called it."""
        try:
            await self._start()
        except BaseException:
            await self.stop()
            raise

    async def _start(self) -> None:
        modules = platform_modules()
        for module in modules:
            runtime = module.build(self.services)
            if runtime is not None:
                self.runtimes.append(runtime)
        if not self.runtimes:
            wanted = ", or ".join(m.REQUIRED for m in modules)
            raise NothingConfigured(f"no platform is configured: set {wanted}")
        await self.lock.acquire()
        for runtime in self.runtimes:
            if isinstance(runtime, Watched):
                await runtime.verify()
        await migrate.upgrade(self.services.db)
        if self.web is not None:
            # Its port taken is one line before anything else starts, not after the bots.
            await self.web.start()
        self.dispatcher = Dispatcher(
            self.services.db,
            {r.name: r.sender for r in self.runtimes},
            self.settings.outbox,
            on_unreachable=citizens.mark_unreachable,
        )
        for ref_type, hooks in self.services.hooks.items():
            for hook in hooks:
                self.dispatcher.on_outcome(ref_type, hook)
        for ref_type, check in self.services.wanted.items():
            self.dispatcher.still_wanted(ref_type, check)
        self.services.wake_outbox = self.dispatcher.wake
        await self.dispatcher.recover()
        self._dispatch_task = asyncio.create_task(self.dispatcher.run(), name="outbox")
        self.scheduler = Scheduler(
            self.services.planners, self.settings.tz, self.settings.scheduler.sync_seconds
        )
        # Before any platform polls: what fell due while the app was down and decides how a
        # citizen's message is taken (a hotline's end or start) is settled first.
        await self.scheduler.settle()
        for runtime in self.runtimes:
            await runtime.start()
            log.info("%s: started", runtime.name)
            if isinstance(runtime, Watched):
                self._watches.append(
                    asyncio.create_task(self._watch(runtime), name=f"{runtime.name}-watch")
                )
        await self.scheduler.start()
        self.scheduler.aps.add_job(self._heartbeat, "interval", seconds=HEARTBEAT_SECONDS)
        if not self.services.db.sqlite:
            self.scheduler.aps.add_job(self._keep_lock, "interval", seconds=LOCK_CHECK_SECONDS)
        self._heartbeat()
        log.info("Glashatai is running: %s", ", ".join(r.name for r in self.runtimes))

    def _heartbeat(self) -> None:
        """Beat while the outbox runs (a stale beat is unhealthy); ``glashatai health`` reads it."""
        if self._dispatch_task is None or self._dispatch_task.done():
            return
        if self._dead:
            detail = "; ".join(f"{name}: {why}" for name, why in self._dead.items())
            health.write(self.settings.health_file, health.Health.UNHEALTHY, detail)
        else:
            health.write(self.settings.health_file, health.Health.RUNNING)

    async def _keep_lock(self) -> None:
        """PostgreSQL drops the lock with its connection: take it again, or give way."""
        try:
            if not await self.lock.check():
                log.warning("instance lock: the database dropped its connection; taken again")
            self._dead.pop("database", None)
        except AlreadyRunning as exc:
            log.error("instance lock: taken by another instance (%s); stopping", exc.holder)
            self.request_stop()
        except Exception as exc:
            log.error("instance lock: not held, database unreachable (%s)", type(exc).__name__)
            self._dead["database"] = "the instance lock is not held"
            self._heartbeat()

    async def _watch(self, runtime: Watched) -> None:
        """A platform that stopped receiving updates makes the instance unhealthy, and says so."""
        reason = await runtime.watch.died()
        name = getattr(runtime, "name", "?")
        log.error("%s: no longer receiving updates: %s", name, reason)
        self._dead[name] = reason
        self._heartbeat()
        try:
            await self._tell_admins(name)
        except Exception:
            log.exception("%s: could not tell the admin chat", name)

    async def _tell_admins(self, name: str) -> None:
        """Through the outbox, like every send; if Telegram itself died it fails there."""
        tg = self.settings.telegram
        if not tg.enabled or tg.admin_chat_id is None:
            return
        title = PLATFORM_TITLES.get(name, name)
        text = self.services.texts("instance.platform_down", platform=title)
        async with self.services.db.write() as conn:
            await store.enqueue(
                conn,
                OutboxMessage(
                    platform="telegram",
                    action=OutboxAction.SEND,
                    destination=str(tg.admin_chat_id),
                    payload=message(from_plain(text)),
                    priority=ADMIN_NOTICE_PRIORITY,
                ),
            )
        self.services.wake_outbox()

    def request_stop(self) -> None:
        self._stop.set()

    async def wait(self) -> None:
        await self._stop.wait()

    async def stop(self) -> None:
        """Stop and close everything started; a second call does nothing."""
        if self._stopped:
            return
        self._stopped = True
        if self._dispatch_task is None:
            if self.web is not None:
                await self.web.stop()  # bound before the refusal (a later part's)
            await self._close_quietly()  # refused before it began: nothing ran, nothing to say
            return
        log.info("stopping")
        for watch in self._watches:
            watch.cancel()
        if self.web is not None:
            await self.web.stop()
        if self.scheduler is not None:
            await self.scheduler.shutdown()
        for runtime in self.runtimes:
            with contextlib.suppress(Exception):
                await runtime.stop()
        if self.dispatcher is not None and self._dispatch_task is not None:
            await self.dispatcher.stop(STOP_GRACE)
            self._dispatch_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._dispatch_task
        with contextlib.suppress(OSError):
            health.write(self.settings.health_file, health.Health.STOPPED)
        await self._close_quietly()
        log.info("stopped")

    async def _close_quietly(self) -> None:
        for runtime in self.runtimes:
            with contextlib.suppress(Exception):
                await runtime.close()
        await self.lock.release()
        await self.services.db.dispose()


async def run(settings: Settings) -> None:
    app = App(settings)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, app.request_stop)
    try:
        await app.start()
        await heap.settle()
        await app.wait()
    finally:
        await app.stop()
