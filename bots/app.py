"""``glashatai run``: every configured platform, the outbox and the scheduler in one process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Callable

from bots.registry import platform_modules, post_limits
from config import ConfigError, Settings
from scheduler.runner import Scheduler
from shared import hotlines as hotlines_feature
from shared import posts as posts_feature
from shared.outbox.dispatcher import Dispatcher
from shared.platform import PlatformRuntime
from shared.services import Services
from shared.storage import migrate
from web.server import WebServer

log = logging.getLogger("glashatai")

STOP_GRACE = 5.0

# Each feature's install(services) registers its planners and outbox hooks.
FEATURES: list[Callable[[Services], None]] = [posts_feature.install, hotlines_feature.install]
HEARTBEAT_SECONDS = 30


class App:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.services = Services.build(settings)
        self.services.limits = post_limits()
        for install in FEATURES:
            install(self.services)
        self.runtimes: list[PlatformRuntime] = []
        self.dispatcher: Dispatcher | None = None
        self.scheduler: Scheduler | None = None
        self.web = WebServer.configured(self.services)
        self._stop = asyncio.Event()

    async def start(self) -> None:
        modules = platform_modules()
        for module in modules:
            runtime = module.build(self.services)
            if runtime is not None:
                self.runtimes.append(runtime)
        if not self.runtimes:
            wanted = ", or ".join(m.REQUIRED for m in modules)
            raise ConfigError(f"no platform is configured: set {wanted}")
        await migrate.upgrade(self.services.db)
        self.dispatcher = Dispatcher(
            self.services.db,
            {r.name: r.sender for r in self.runtimes},
            self.settings.outbox,
        )
        for ref_type, hooks in self.services.hooks.items():
            for hook in hooks:
                self.dispatcher.on_outcome(ref_type, hook)
        self.services.wake_outbox = self.dispatcher.wake
        await self.dispatcher.recover()
        self._dispatch_task = asyncio.create_task(self.dispatcher.run(), name="outbox")
        for runtime in self.runtimes:
            await runtime.start()
            log.info("%s: started", runtime.name)
        self.scheduler = Scheduler(
            self.services.planners, self.settings.tz, self.settings.scheduler.sync_seconds
        )
        await self.scheduler.start()
        self.scheduler.aps.add_job(self._heartbeat, "interval", seconds=HEARTBEAT_SECONDS)
        self._heartbeat()
        if self.web is not None:
            await self.web.start()
        log.info("Glashatai is running: %s", ", ".join(r.name for r in self.runtimes))

    def _heartbeat(self) -> None:
        """Touch the health file while the outbox runs; ``glashatai health`` reads it."""
        if self._dispatch_task.done():
            return
        path = self.settings.health_file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(str(int(time.time())))

    def request_stop(self) -> None:
        self._stop.set()

    async def wait(self) -> None:
        await self._stop.wait()

    async def stop(self) -> None:
        log.info("stopping")
        if self.web is not None:
            await self.web.stop()
        if self.scheduler is not None:
            self.scheduler.shutdown()
        for runtime in self.runtimes:
            with contextlib.suppress(Exception):
                await runtime.stop()
        if self.dispatcher is not None:
            await self.dispatcher.stop(STOP_GRACE)
            self._dispatch_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._dispatch_task
        for runtime in self.runtimes:
            with contextlib.suppress(Exception):
                await runtime.close()
        await self.services.db.dispose()
        log.info("stopped")


async def run(settings: Settings) -> None:
    app = App(settings)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, app.request_stop)
    try:
        await app.start()
        await app.wait()
    finally:
        await app.stop()
