"""The ``glashatai`` command."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Sequence

from bots.commands import hotlines as hotline_commands
from bots.commands import posts as posts_commands
from config import ConfigError, Settings, load_settings
from shared.errors import GlashataiError
from shared.logs import setup_logging


def _settings() -> Settings:
    settings = load_settings()
    setup_logging(settings.log_level, settings.secrets())
    return settings


def cmd_run(args: argparse.Namespace) -> int:
    from bots.app import run

    asyncio.run(run(_settings()))
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from shared.storage.engine import Database
    from shared.storage.migrate import upgrade

    settings = _settings()

    async def _go() -> None:
        db = Database(settings.database.url)
        try:
            await upgrade(db)
        finally:
            await db.dispose()

    asyncio.run(_go())
    print("database is up to date")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from bots.registry import platform_modules

    settings = _settings()
    print("configuration: OK")

    async def _go() -> bool:
        ok = True
        configured = 0
        for module in platform_modules():
            for result in await module.check(settings):
                mark = "✓" if result.ok else "✗"
                print(f"{mark} {result.what}: {result.detail}")
                ok = ok and (result.ok or result.what == module.NAME.capitalize())
            configured += 1
        return ok and configured > 0

    return 0 if asyncio.run(_go()) else 1


def cmd_health(args: argparse.Namespace) -> int:
    """For Docker's HEALTHCHECK: is a running ``glashatai run`` still beating?"""
    import time

    settings = load_settings()
    try:
        age = time.time() - settings.health_file.stat().st_mtime
    except FileNotFoundError:
        print("unhealthy: no heartbeat yet", file=sys.stderr)
        return 1
    if age > args.max_age:
        print(f"unhealthy: last heartbeat {age:.0f}s ago", file=sys.stderr)
        return 1
    print(f"healthy: last heartbeat {age:.0f}s ago")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="glashatai",
        description="Telegram + VK bot suite for a municipal press office.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run the bots, the outbox and the scheduler")
    run.set_defaults(func=cmd_run)

    check = sub.add_parser("check", help="validate the configuration and prove the tokens")
    check.set_defaults(func=cmd_check)

    health = sub.add_parser("health", help="exit 0 if a running instance is alive")
    health.add_argument("--max-age", type=float, default=120.0, help="seconds (default 120)")
    health.set_defaults(func=cmd_health)

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    upgrade = db_sub.add_parser("upgrade", help="apply the database migrations")
    upgrade.set_defaults(func=cmd_db_upgrade)

    for extend in EXTENSIONS:
        extend(sub)
    return parser


# Each feature's bots.commands.<feature>.register(subparsers) adds its subcommands.
EXTENSIONS: list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]] = [
    posts_commands.register,
    hotline_commands.register,
]


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ConfigError as exc:
        print(f"glashatai: configuration error:\n{exc}", file=sys.stderr)
        return 2
    except GlashataiError as exc:
        print(f"glashatai: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
