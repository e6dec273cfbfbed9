"""Where Glashatai keeps its ``.env``, its SQLite file and its heartbeat: ``GLASHATAI_HOME``.

The command must behave the same from any folder, so nothing is looked up in the current
one: ``GLASHATAI_HOME`` if set, else ``$XDG_DATA_HOME/glashatai``, else
``~/.local/share/glashatai``. The Docker image sets it to ``/app/data``.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic_core import PydanticCustomError
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

HOME_VARIABLE = "GLASHATAI_HOME"
DATABASE_FILE = "glashatai.db"
DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")


def default_home() -> Path:
    """``GLASHATAI_HOME``, else the per-user data folder (XDG)."""
    explicit = os.environ.get(HOME_VARIABLE, "").strip()
    if explicit:
        return Path(explicit).expanduser().absolute()
    xdg = os.environ.get("XDG_DATA_HOME", "").strip()
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return (base / "glashatai").absolute()


def env_file(home: Path | None = None) -> Path:
    return (home or default_home()) / ".env"


def parse_database_url(value: str) -> URL:
    """The URL if it names a driver Glashatai runs on; a ValueError naming the problem if not.

    The message never repeats the URL: it may hold a password.
    """
    try:
        url = make_url(value)
    except ArgumentError:
        raise PydanticCustomError(
            "database_url",
            "not a database URL; expected sqlite+aiosqlite:///path/to/file.db "
            "or postgresql+asyncpg://user:password@host/database",
        ) from None
    if url.drivername not in DRIVERS:
        raise PydanticCustomError(
            "database_driver",
            "unsupported driver {driver}; use {drivers}",
            {"driver": repr(url.drivername), "drivers": " or ".join(d + "://" for d in DRIVERS)},
        )
    if url.get_backend_name() == "postgresql" and not url.database:
        raise PydanticCustomError(
            "database_name", "no database name in the PostgreSQL URL (…@host/DATABASE)"
        )
    return url


def database_url(value: str, home: Path) -> str:
    """The URL with the default or a relative SQLite path made absolute under ``home``."""
    if not value:
        return f"sqlite+aiosqlite:///{home / DATABASE_FILE}"
    url = parse_database_url(value)
    path = url.database
    if url.get_backend_name() != "sqlite" or not path or path == ":memory:":
        return value
    if path.startswith("file:"):
        return value
    resolved = Path(path).expanduser()
    if not resolved.is_absolute():
        resolved = home / resolved
    return url.set(database=str(resolved)).render_as_string(hide_password=False)


def sqlite_file(value: str) -> Path | None:
    """The file behind a SQLite URL (None for PostgreSQL and in-memory databases)."""
    url = make_url(value)
    path = url.database
    if url.get_backend_name() != "sqlite" or not path or path == ":memory:":
        return None
    if path.startswith("file:"):
        return None
    return Path(path)


def database_secrets(value: str) -> list[str]:
    """A database URL's passwords: the one before the ``@`` and a ``password`` query
    parameter (asyncpg takes one there too); for masking, never for showing."""
    try:
        url = make_url(value)
    except ArgumentError:
        return []
    found = [url.password] if url.password else []
    given = url.query.get("password")
    found += [given] if isinstance(given, str) else list(given or ())
    return [str(p) for p in found if p]


def database_shown(value: str) -> str:
    """A database URL as a person may see it: every password replaced by ``***``."""
    url = make_url(value)
    if "password" in url.query:
        url = url.update_query_dict({"password": "***"})
    return url.render_as_string(hide_password=True).replace("password=%2A%2A%2A", "password=***")
