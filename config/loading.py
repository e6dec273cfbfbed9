"""Turn pydantic's validation errors into one clear line per variable."""

from __future__ import annotations

from pydantic import ValidationError

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
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(describe(exc)) from None
