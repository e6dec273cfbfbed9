"""``glashatai sandbox``: the simulators, the real ``App`` and its web server in one process.

Order matters: the folder's lock is probed first (a second sandbox on it says so before
starting anything), the simulators start and are prepared, the settings point at them,
the real ``App`` starts (taking the instance lock, migrating, polling, the outbox, the
scheduler, the web server with the sandbox's page), and only then are the settings
written to ``<folder>/.env`` for the CLI. SIGINT and SIGTERM stop it all, in reverse.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import importlib
import importlib.util
import json
import logging
import signal
import socket
from collections.abc import Callable
from pathlib import Path

from bots import heap
from bots.app import App
from config import Settings
from sandbox import settings as sandbox_settings
from sandbox.errors import SandboxRunning
from sandbox.scenario import Scenario
from sandbox.simulated import Simulators
from shared.logs import setup_logging
from shared.storage.instance import AlreadyRunning, holder_line

log = logging.getLogger("glashatai.sandbox")

DEFAULT_PORT = 8090
PAGE = "/sandbox"
PAGE_MODULE = "web.sandbox"  # the page (built beside this package): add_routes(app, world, ...)

Say = Callable[[str, Path, str], None]  # (the page's address, the folder, its .env)


def refuse_if_running(folder: Path) -> None:
    """Before anything starts: a second sandbox on the folder would overwrite its ``.env``."""
    if not sandbox_settings.running(folder):
        return
    try:
        info = json.loads(sandbox_settings.lock_file(folder).read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        info = {}
    raise SandboxRunning(folder, holder_line(info))


def free_port(wanted: int | None) -> int:
    """``wanted`` if given (taken: an OSError), else the default or any free local port."""
    for port in (wanted,) if wanted is not None else (DEFAULT_PORT, 0):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError as exc:
                if wanted is not None or exc.errno != errno.EADDRINUSE:
                    raise
                continue
            return int(probe.getsockname()[1])
    raise OSError(errno.EADDRINUSE, "no free port")


def add_page(app: App, sims: Simulators, scenario: Scenario) -> None:
    """The sandbox's page on the app's web server (before the server freezes its routes)."""
    if app.web is None or importlib.util.find_spec(PAGE_MODULE) is None:
        log.warning("sandbox: the page (%s) is not installed", PAGE_MODULE)
        return
    importlib.import_module(PAGE_MODULE).add_routes(app.web.app, sims.world, scenario)


def run(folder: Path, port: int | None = None, say: Say | None = None) -> None:
    """Run the sandbox until SIGINT or SIGTERM; ``say(url, folder, env_file)`` once it is up."""
    folder = folder.expanduser().absolute()
    folder.mkdir(parents=True, exist_ok=True)
    refuse_if_running(folder)
    bound = free_port(port)
    sims = Simulators.start()
    try:
        values = sandbox_settings.variables(sims, folder, bound)
        settings = sandbox_settings.load(values)
        setup_logging(settings.log_level, settings.secrets())
        asyncio.run(_serve(settings, sims, folder, values, say))
    finally:
        sims.stop()


async def _serve(
    settings: Settings,
    sims: Simulators,
    folder: Path,
    values: dict[str, str],
    say: Say | None,
) -> None:
    app = App(settings)
    scenario = Scenario(app, sims)
    add_page(app, sims, scenario)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, app.request_stop)
    try:
        try:
            await app.start()
        except AlreadyRunning as exc:
            raise SandboxRunning(folder, exc.holder) from None
        await heap.settle()
        env = sandbox_settings.write_env(folder, values)
        if say is not None and app.web is not None:
            say(app.web.url + PAGE, folder, str(env))
        await app.wait()
    finally:
        with contextlib.suppress(Exception):
            await scenario.stop()
        await app.stop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
