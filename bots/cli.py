"""The ``glashatai`` command."""

from __future__ import annotations

import argparse
import asyncio
import errno
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn, cast

from sqlalchemy.exc import SQLAlchemyError

from bots import health
from bots.commands import alerts as alert_commands
from bots.commands import hotlines as hotline_commands
from bots.commands import posts as posts_commands
from bots.commands import report as report_commands
from config import ConfigError, Settings, load_settings, slips
from config.home import database_shown, default_home, env_file, sqlite_file
from config.loading import ConfigProblem
from config.template import write_template
from sandbox.errors import SandboxRunning
from shared.errors import GlashataiError, PlatformNotConfigured
from shared.logs import redact, setup_logging
from shared.storage.instance import AlreadyRunning
from shared.storage.problems import DbProblem, classify
from shared.texts import Texts

# Commands that store something new may create the database; the others say it is missing.
CREATE_DATABASE = {("run",), ("db", "upgrade"), ("post", "create"), ("hotline", "create")}
FILE_REASONS = {
    errno.ENOENT: "file_missing",
    errno.EACCES: "file_denied",
    errno.EPERM: "file_denied",
    errno.EROFS: "file_read_only",
    errno.ENOSPC: "file_no_space",
    errno.EISDIR: "file_is_folder",
}
SIGPIPE_EXIT = 141  # what a shell reports for a process ended by a closed pipe


class DatabaseMissing(GlashataiError):
    """A command that only reads or changes rows found no database to do it in."""

    def __init__(self, path: Path, home: Path) -> None:
        super().__init__(str(path))
        self.path = path
        self.home = home


class _Invocation:
    """What this run of the command may do, and the settings it loaded (for its errors)."""

    may_create_database = True
    settings: Settings | None = None
    warned = False


def _settings() -> Settings:
    settings = load_settings()
    setup_logging(settings.log_level, settings.secrets())
    _Invocation.settings = settings
    if not _Invocation.warned:
        _Invocation.warned = True
        texts = Texts.load()
        for slip in config_slips(settings, texts):
            print(f"glashatai: {texts('config.slip.warning', detail=slip)}", file=sys.stderr)
    if not _Invocation.may_create_database:
        require_database(settings)
    return settings


def require_database(settings: Settings) -> None:
    """Refuse rather than create an empty SQLite file that would answer "nothing here"."""
    path = sqlite_file(settings.database.url)
    if path is not None and not path.exists():
        raise DatabaseMissing(path, settings.home)


def cmd_run(args: argparse.Namespace) -> int:
    from bots.app import NothingConfigured, run

    settings = _settings()
    try:
        asyncio.run(run(settings))
    except NothingConfigured:
        return first_run(settings)
    return 0


def first_run(settings: Settings) -> int:
    """No platform configured: leave a template to fill in and say what goes where."""
    texts = Texts.load()
    path = env_file(settings.home)
    if write_template(path):
        note = texts("cli.errors.template_written", env_file=path)
    else:
        note = texts("cli.errors.env_exists", env_file=path)
    print(texts("cli.errors.first_run", note=note), file=sys.stderr)
    return 2


def config_slips(settings: Settings, texts: Texts) -> list[str]:
    """What the settings passed over in silence: unknown ``GLASHATAI_`` names, bad lines."""
    path = env_file(settings.home)
    said = []
    for unknown in slips.unknown_variables(path):
        where = (
            texts("config.slip.in_env_file", path=unknown.source)
            if unknown.source
            else texts("config.slip.in_environment")
        )
        if unknown.suggestion is None:
            said.append(texts("config.slip.unknown", name=unknown.name, where=where))
        else:
            said.append(
                texts(
                    "config.slip.unknown_like",
                    name=unknown.name,
                    where=where,
                    suggestion=unknown.suggestion,
                )
            )
    for bad in slips.bad_lines(path):
        said.append(texts("config.slip.bad_line", path=bad.path, line=bad.line))
    return [redact(line) for line in said]


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
    print(Texts.load()("check.database_up_to_date"))
    return 0


async def check_database(settings: Settings) -> bool:
    """Open the database and run a trivial query: a URL that parses may still lead nowhere."""
    from sqlalchemy import text

    from shared.storage.engine import Database
    from shared.storage.migrate import NewerDatabase, check_revision

    texts = Texts.load()
    label = texts("check.database")
    where = database_label(settings.database.url)
    path = sqlite_file(settings.database.url)
    if path is not None and not path.exists():
        folder = next(p for p in (path.parent, *path.parents) if p.exists())
        if not os.access(folder, os.W_OK):
            print(f"✗ {label}: {where}: {database_reason(DbProblem.READ_ONLY, '')}")
            return False
        print(f"✓ {label}: {texts('check.database_not_created', where=where)}")
        return True
    db = Database(settings.database.url)
    try:
        async with db.read() as conn:
            await conn.execute(text("SELECT 1"))
        await check_revision(db)
    except NewerDatabase as exc:
        print(f"✗ {label}: {where}: {exc}")
        return False
    except (SQLAlchemyError, OSError, TypeError) as exc:  # TypeError: a URL option (classify)
        found = classify(exc)
        if found is None:
            raise
        print(f"✗ {label}: {where}: {database_reason(*found)}")
        return False
    finally:
        await db.dispose()
    print(f"✓ {label}: {where}")
    return True


def cmd_check(args: argparse.Namespace) -> int:
    from bots.registry import platform_modules

    settings = load_settings()
    setup_logging(settings.log_level, settings.secrets())
    _Invocation.settings = settings
    texts = Texts.load()
    said = config_slips(settings, texts)
    print(texts("config.slip.check_warned" if said else "check.configuration_ok"))
    for slip in said:
        print(f"! {texts('config.slip.label')}: {slip}")

    async def _go() -> bool:
        ok = await check_database(settings)
        configured = 0
        for module in platform_modules():
            results = await module.check(settings)
            for result in results:
                mark = "–" if result.skipped else "✓" if result.ok else "✗"
                # A detail may quote a client's error, and some quote the request URL.
                print(redact(f"{mark} {result.what}: {result.detail}"))
                ok = ok and (result.ok or result.skipped)
            configured += not any(r.skipped for r in results)
        return ok and configured > 0

    return 0 if asyncio.run(_go()) else 1


def cmd_health(args: argparse.Namespace) -> int:
    """For Docker's HEALTHCHECK: is a running ``glashatai run`` still beating?"""
    settings = load_settings()
    texts = Texts.load()
    beat = health.read(settings.health_file)
    if beat is None:
        print(texts("cli.errors.health_none", path=settings.health_file), file=sys.stderr)
        return 1
    age = f"{beat.age:.0f}"
    if beat.state is health.Health.STOPPED:
        print(texts("cli.errors.health_stopped"), file=sys.stderr)
        return 1
    if beat.state is health.Health.UNHEALTHY:
        print(texts("cli.errors.health_unhealthy", detail=beat.detail), file=sys.stderr)
        return 1
    if beat.age > args.max_age:
        print(texts("cli.errors.health_stale", age=age), file=sys.stderr)
        return 1
    print(texts("cli.errors.health_ok", age=age))
    return 0


def cmd_sandbox(args: argparse.Namespace) -> int:
    """The real application against built-in simulators: no accounts, no configuration."""
    from sandbox import runtime
    from sandbox.settings import default_folder

    texts = Texts.load()

    def say(url: str, folder: Path, env: str) -> None:
        print(texts("cli.sandbox.open", url=url))
        print(texts("cli.sandbox.export", folder=folder))
        print(texts("cli.sandbox.stop"), flush=True)

    folder = Path(args.folder) if args.folder else default_folder()
    try:
        runtime.run(folder, args.port, say)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE or args.port is None:
            raise
        print(f"glashatai: {texts('cli.sandbox.port_busy', port=args.port)}", file=sys.stderr)
        return 1
    return 0


def use_sandbox() -> str | None:
    """``--sandbox``: this command runs with the running sandbox's settings; else why not."""
    from sandbox.settings import default_folder, running, use

    home = default_home()
    folder = home if running(home) else default_folder()  # after `export GLASHATAI_HOME=…`
    if use(folder):
        return None
    return Texts.load()("cli.sandbox.not_running", folder=folder)


class _Parser(argparse.ArgumentParser):
    """argparse whose usage errors are one Russian line and exit code 1, like every other
    refusal of what was typed (its subcommands' parsers are of this class too)."""

    def error(self, message: str) -> NoReturn:
        self.exit(1, Texts.load()("cli.errors.usage", prog=self.prog, detail=message) + "\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="glashatai",
        description="Telegram, VK and MAX bot suite for a municipal press office.",
    )
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="run the command with the running sandbox's settings (see 'glashatai sandbox')",
    )
    # Its parsers are ``_Parser``s; the features' ``register`` take any ArgumentParser's.
    sub = cast(
        "argparse._SubParsersAction[argparse.ArgumentParser]",
        parser.add_subparsers(dest="command", required=True, metavar="COMMAND"),
    )

    sandbox = sub.add_parser(
        "sandbox", help="try it with no accounts: the real suite against built-in simulators"
    )
    sandbox.add_argument("--port", type=int, default=None, help="the page's port (default 8090)")
    sandbox.add_argument(
        "--folder", default=None, help="its data folder (default $GLASHATAI_HOME/sandbox)"
    )
    sandbox.set_defaults(func=cmd_sandbox)

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
    report_commands.register,
    alert_commands.register,
]


def _command(args: argparse.Namespace) -> tuple[str, ...]:
    """``("post", "create")`` for ``glashatai post create …``."""
    name = str(args.command)
    sub = getattr(args, f"{name}_command", None)
    return (name,) if sub is None else (name, str(sub))


def database_label(url: str) -> str:
    """The database as a person knows it, never with its password."""
    path = sqlite_file(url)
    if path is not None:
        return str(path)
    return database_shown(url)


def database_reason(problem: DbProblem, detail: str) -> str:
    return Texts.load()(f"cli.errors.db_{problem.value}", detail=redact(detail))


def config_problems(exc: ConfigError, texts: Texts) -> str:
    """Each variable with its problem in Russian where the catalogue has it, else pydantic's."""
    if not exc.problems:
        return str(exc)
    lines = []
    for problem in exc.problems:
        lines.append(f"{problem.variable}: {said_in_russian(problem, texts)}")
    return redact("\n".join(lines))


def said_in_russian(problem: ConfigProblem, texts: Texts) -> str:
    """The catalogue's text for the problem's type, else pydantic's own words."""
    for key in (f"check.config.{problem.kind}", f"config.problem.{problem.kind}"):
        if key in texts:
            try:
                return texts(key, **problem.values)
            except (KeyError, IndexError, TypeError):  # an office's override lost a value
                break
    return problem.message


def error_line(exc: BaseException) -> str | None:
    """One line for a failure the user can fix; None for a bug (a traceback is right)."""
    texts = Texts.load()
    settings = _Invocation.settings
    if isinstance(exc, SandboxRunning):
        return texts("cli.sandbox.already_running", folder=exc.folder, holder=exc.holder)
    if isinstance(exc, AlreadyRunning):
        return texts("cli.errors.already_running", holder=exc.holder)
    if isinstance(exc, DatabaseMissing):
        return texts("cli.errors.database_missing", path=exc.path, home=exc.home)
    if isinstance(exc, ConfigError):
        home = settings.home if settings is not None else default_home()
        problems = config_problems(exc, texts)
        details = problems if "\n" not in problems else f"\n{problems}"
        return texts("cli.errors.configuration", env_file=env_file(home), details=details)
    if isinstance(exc, PlatformNotConfigured):
        return texts.explain(exc)
    if isinstance(exc, GlashataiError):
        return str(exc)
    found = classify(exc)
    if found is not None:
        where = database_label(settings.database.url) if settings is not None else "?"
        return texts("cli.errors.database", where=where, reason=database_reason(*found))
    if isinstance(exc, OSError):
        key = FILE_REASONS.get(exc.errno or 0)
        reason = texts(f"cli.errors.{key}") if key else redact(exc.strerror or str(exc))
        if exc.filename is None:
            return reason
        return texts("cli.errors.file", path=exc.filename, reason=reason)
    return None


def _closed_pipe() -> int:
    """Stop writing to the closed pipe (also at exit) and say why on stderr."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    print(f"glashatai: {Texts.load()('cli.errors.broken_pipe')}", file=sys.stderr)
    return SIGPIPE_EXIT


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        if args.sandbox and args.command != "sandbox":
            refused = use_sandbox()
            if refused is not None:
                print(f"glashatai: {refused}", file=sys.stderr)
                return 1
        _Invocation.may_create_database = _command(args) in CREATE_DATABASE
        code = int(args.func(args))
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        return _closed_pipe()
    except KeyboardInterrupt:
        return 130
    # A TypeError is a bug but for one case: a URL option the driver refuses (``classify``).
    except (GlashataiError, ConfigError, SQLAlchemyError, OSError, TypeError) as exc:
        line = error_line(exc)
        if line is None:
            raise
        print(f"glashatai: {line}", file=sys.stderr)
        return 2 if isinstance(exc, ConfigError) else 1


if __name__ == "__main__":
    sys.exit(main())
