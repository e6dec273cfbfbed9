"""Turn pydantic's validation errors into one clear line per variable."""

from __future__ import annotations

from dataclasses import dataclass
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
    found = []
    for item in error.errors(include_input=False, include_url=False):
        loc = tuple(p for p in item["loc"] if not isinstance(p, int))
        ctx = {k: str(v) for k, v in item.get("ctx", {}).items()}
        found.append(ConfigProblem(_variable(loc), item["type"], item["msg"], ctx))
    return found


def describe(error: ValidationError) -> str:
    return "\n".join(f"{p.variable}: {p.message}" for p in problems(error))


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment and ``GLASHATAI_HOME/.env`` (the environment wins)."""
    try:
        return Settings(_env_file=env_file(), **overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(describe(exc), problems(exc)) from None
