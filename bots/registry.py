"""Platform packages are found, not listed: a new one under ``bots/`` is all MAX would need.

Each platform package has a ``platform`` module with ``NAME``, ``REQUIRED`` (the variables
to set), ``build(services)`` returning a runtime or None when not configured, and
``check(settings)`` proving its credentials, and ``LIMITS`` (a ``PostLimits``: what one
post may hold there), imported from its light ``limits`` module: a CLI command that only
checks a post reads that one, as the platform libraries take seconds to import. A
platform where people can start the bot by a link also has ``deep_link(settings,
payload)``: the link that starts it with ``payload``, or None when it is not configured.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import pkgutil
from types import ModuleType

import bots
from config.settings import Settings
from shared.platform import PostLimits

log = logging.getLogger(__name__)


def platform_names() -> list[str]:
    """The platforms there are, without importing them (a command's ``--help`` names them).

    A platform package's name is its platform's name (``bots.max.platform.NAME == "max"``).
    """
    return [
        info.name
        for info in sorted(pkgutil.iter_modules(bots.__path__), key=lambda i: i.name)
        if info.ispkg and importlib.util.find_spec(f"bots.{info.name}.platform") is not None
    ]


def platform_modules(part: str = "platform") -> list[ModuleType]:
    """Each platform package's module ``part`` (``platform``, or the light ``limits``)."""
    found = []
    for info in sorted(pkgutil.iter_modules(bots.__path__), key=lambda i: i.name):
        if not info.ispkg:
            continue
        try:
            found.append(importlib.import_module(f"bots.{info.name}.{part}"))
        except ModuleNotFoundError as exc:
            if exc.name != f"bots.{info.name}.{part}":
                raise
    return found


def post_limits() -> dict[str, PostLimits]:
    """Every platform's declared limits on a post (its ``limits.LIMITS``), by name.

    Read from the light modules, so the platform libraries are not imported for it.
    """
    return {module.__name__.split(".")[1]: module.LIMITS for module in platform_modules("limits")}


async def deep_links(settings: Settings, payload: str) -> list[tuple[str, str]]:
    """Each configured platform's link that starts its bot with ``payload``, as
    ``(title, url)``; a platform that can't be asked now (its API unreachable) is left out,
    with a log line."""
    links: list[tuple[str, str]] = []
    for module in platform_modules():
        make = getattr(module, "deep_link", None)
        if make is None:
            continue
        try:
            url = await make(settings, payload)
        except Exception as exc:
            log.warning("%s: no deep link: %s", module.NAME, type(exc).__name__)
            continue
        if url is not None:
            links.append((module.LIMITS.title or module.NAME, url))
    return links
