"""The web server inside ``glashatai run``: started before the bots (its port is the first
thing that can be taken), stopped before them."""

from __future__ import annotations

import errno
import logging

from aiohttp import web

from config import ConfigError
from shared.services import Services
from web.app import build_app

log = logging.getLogger("glashatai.web")

SECRET_KEY_VARIABLE = "GLASHATAI_WEB__SECRET_KEY"  # noqa: S105 - a variable name
PORT_VARIABLE = "GLASHATAI_WEB__PORT"
SHUTDOWN_TIMEOUT = 3.0


class WebServer:
    def __init__(self, services: Services) -> None:
        settings = services.settings.web
        if settings.secret_key is None or not settings.secret_key.get_secret_value():
            raise ConfigError(f"the web part needs a secret key: set {SECRET_KEY_VARIABLE}")
        self.settings = settings
        self.texts = services.texts
        self.app = build_app(services, settings)
        self.runner = web.AppRunner(
            self.app, access_log=None, handle_signals=False, shutdown_timeout=SHUTDOWN_TIMEOUT
        )
        self.site: web.TCPSite | None = None

    @classmethod
    def configured(cls, services: Services) -> WebServer | None:
        """The server when ``GLASHATAI_WEB__ENABLED`` is on (refusing a missing secret key)."""
        return cls(services) if services.settings.web.enabled else None

    async def start(self) -> None:
        await self.runner.setup()
        site = web.TCPSite(self.runner, self.settings.host, self.settings.port)
        try:
            await site.start()
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            await self.runner.cleanup()
            where = f"{self.settings.host}:{self.settings.port}"
            raise ConfigError(
                f"{PORT_VARIABLE}: {self.texts('cli.errors.web_port_busy', where=where)}"
            ) from None
        self.site = site
        log.info("web: listening on %s (public address %s)", self.url, self.settings.public_url)

    @property
    def port(self) -> int:
        """The bound port (the configured one, or the one the system chose for port 0)."""
        addresses = self.runner.addresses
        return int(addresses[0][1]) if addresses else self.settings.port

    @property
    def url(self) -> str:
        return f"http://{self.settings.host}:{self.port}"

    async def stop(self) -> None:
        if self.site is not None:
            await self.runner.cleanup()
            self.site = None
