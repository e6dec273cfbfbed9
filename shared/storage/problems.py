"""What went wrong with the database, in terms a person can act on.

Drivers report a refused connection, a missing database or a file that is not SQLite each
in their own way (an ``OSError``, a wrapped asyncpg error, a ``sqlite3`` message); the
command turns the kind found here into one line instead of a traceback.
"""

from __future__ import annotations

import re
import socket
from enum import StrEnum

from sqlalchemy.exc import DBAPIError


class DbProblem(StrEnum):
    """Why the database could not be used."""

    REFUSED = "refused"  # nothing accepts connections at the server's address
    UNKNOWN_HOST = "unknown_host"  # the server's host name does not resolve
    TIMEOUT = "timeout"  # the server did not answer in time
    NO_DATABASE = "no_database"  # the server has no database of that name
    LOGIN_REJECTED = "login_rejected"  # the server refused the user or password
    NOT_SQLITE = "not_sqlite"  # the file exists but is not a SQLite database
    READ_ONLY = "read_only"  # the database file or its folder can't be written
    CANNOT_OPEN = "cannot_open"  # SQLite can't open or create the file
    BAD_OPTION = "bad_option"  # the URL names a connection option the driver doesn't take
    OTHER = "other"  # any other error the driver reported


# PostgreSQL's SQLSTATEs for the problems above.
SQLSTATES = {
    "3D000": DbProblem.NO_DATABASE,
    "28P01": DbProblem.LOGIN_REJECTED,
    "28000": DbProblem.LOGIN_REJECTED,
    "3F000": DbProblem.NO_DATABASE,  # the schema named in search_path does not exist
}
SQLITE_MESSAGES = {
    "file is not a database": DbProblem.NOT_SQLITE,
    "attempt to write a readonly database": DbProblem.READ_ONLY,
    "unable to open database file": DbProblem.CANNOT_OPEN,
}


def _sqlstate(error: BaseException | None) -> str | None:
    while error is not None:
        state = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
        if isinstance(state, str):
            return state
        error = error.__cause__
    return None


def classify(exc: BaseException) -> tuple[DbProblem, str] | None:
    """The kind of database problem and the driver's own first line; None if not one."""
    if isinstance(exc, DBAPIError):
        detail = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else ""
        state = _sqlstate(exc.orig)
        if state in SQLSTATES:
            return SQLSTATES[state], detail
        for message, problem in SQLITE_MESSAGES.items():
            if message in detail:
                return problem, detail
        return DbProblem.OTHER, detail or type(exc.orig).__name__
    if isinstance(exc, socket.gaierror):
        return DbProblem.UNKNOWN_HOST, str(exc.strerror or exc)
    if isinstance(exc, ConnectionRefusedError):
        return DbProblem.REFUSED, str(exc.strerror or exc)
    if isinstance(exc, TimeoutError):
        return DbProblem.TIMEOUT, ""
    option = _unknown_option(exc)
    if option is not None:
        return DbProblem.BAD_OPTION, option
    return None


def _unknown_option(exc: BaseException) -> str | None:
    """The option a driver's ``connect()`` refused as an unexpected keyword argument (a
    URL's ``?sslmode=require``, which psycopg takes and asyncpg does not)."""
    if not isinstance(exc, TypeError):
        return None
    found = re.search(r"unexpected keyword argument '([^']+)'", str(exc))
    return found[1] if found else None
