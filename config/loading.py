"""Turn pydantic's validation errors into one clear line per variable."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from config.home import env_file
from config.settings import Settings


class ConfigError(Exception):
    """The configuration is unusable; the message names the variables to fix."""

    def __init__(self, message: str, problems: list[ConfigProblem] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


@dataclass(frozen=True)
class ConfigProblem:
    """One variable's problem, by pydantic's error type, so the CLI can say it in Russian."""

    variable: str
    kind: str
    message: str
    values: dict[str, Any]


def _variable(loc: tuple[int | str, ...]) -> str:
    return "GLASHATAI_" + "__".join(str(part).upper() for part in loc)


def problems(error: ValidationError) -> list[ConfigProblem]:
    """Each problem by its variable: the location's, or the one a rule across several
    fields names in its context (``variable``: the secret key the web part needs)."""
    found = []
    for item in error.errors(include_input=False, include_url=False):
        loc = tuple(p for p in item["loc"] if not isinstance(p, int))
        ctx = {k: str(v) for k, v in item.get("ctx", {}).items()}
        variable = ctx.pop("variable", None) or _variable(loc)
        found.append(ConfigProblem(variable, item["type"], item["msg"], ctx))
    return found


def describe(error: ValidationError) -> str:
    return "\n".join(f"{p.variable}: {p.message}" for p in problems(error))


def unreadable(path: Path, exc: UnicodeDecodeError | OSError) -> ConfigError:
    """The ``.env`` itself can't be read (saved by Notepad in Windows-1251, no permission)."""
    if isinstance(exc, UnicodeDecodeError):
        kind, values = "env_not_utf8", {"path": str(path), "offset": str(exc.start)}
    else:
        kind, values = "env_unreadable", {"path": str(path), "detail": exc.strerror or ""}
    message = f"{path}: can't be read as UTF-8 text"
    return ConfigError(message, [ConfigProblem(str(path), kind, message, values)])


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment and ``GLASHATAI_HOME/.env`` (the environment wins)."""
    path = env_file()
    # python-dotenv's English warning about a line it skips: config.slips says it in Russian.
    logging.getLogger("dotenv.main").setLevel(logging.ERROR)
    try:
        return Settings(_env_file=path, **overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(describe(exc), problems(exc)) from None
    except (UnicodeDecodeError, OSError) as exc:
        raise unreadable(path, exc) from None
