"""Turn pydantic's validation errors into one clear line per variable."""

from __future__ import annotations

from pydantic import ValidationError

from config.home import env_file
from config.settings import Settings


class ConfigError(Exception):
    """The configuration is unusable; the message names the variables to fix."""


def _variable(loc: tuple[int | str, ...]) -> str:
    return "GLASHATAI_" + "__".join(str(part).upper() for part in loc)


def describe(error: ValidationError) -> str:
    lines = []
    for item in error.errors(include_input=False, include_url=False):
        loc = tuple(p for p in item["loc"] if not isinstance(p, int))
        lines.append(f"{_variable(loc)}: {item['msg']}")
    return "\n".join(lines)


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment and ``GLASHATAI_HOME/.env`` (the environment wins)."""
    try:
        return Settings(_env_file=env_file(), **overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(describe(exc)) from None
