"""Slips in the configuration that pydantic-settings passes over in silence.

A ``GLASHATAI_`` variable it does not know (``GLASHATAI_TELEGRAM__ADMINCHAT_ID``, one
underscore lost) is ignored, so the setting it meant keeps its default; a ``.env`` line that
is not ``NAME=value`` only gets python-dotenv's English log line. Neither stops Glashatai:
the CLI shows them as warnings, each unknown name with the known one it most resembles.
"""

from __future__ import annotations

import difflib
import io
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from dotenv.parser import parse_stream
from pydantic import BaseModel

from config.settings import Settings

PREFIX = "GLASHATAI_"
# Read by other code than the settings: the simulators' MAX schema, the test suite's
# screenshots and its own variables (GLASHATAI_TEST_…).
OTHER_NAMES = frozenset({"GLASHATAI_MAX_SPEC", "GLASHATAI_SCREENSHOTS"})
OTHER_PREFIXES = ("GLASHATAI_TEST_",)


@dataclass(frozen=True)
class UnknownVariable:
    """A ``GLASHATAI_`` name no setting has, where it was given, and the likely intended one."""

    name: str
    source: str  # the .env file's path, or "" for the environment
    suggestion: str | None


@dataclass(frozen=True)
class BadLine:
    """A ``.env`` line python-dotenv could not parse (it skips it)."""

    path: Path
    line: int


def known_names() -> frozenset[str]:
    """Every variable the settings read: ``GLASHATAI_FIELD`` and ``GLASHATAI_GROUP__FIELD``."""
    names = set(OTHER_NAMES)
    for name, field in Settings.model_fields.items():
        names.add(PREFIX + name.upper())
        model = field.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):
            names.update(f"{PREFIX}{name.upper()}__{sub.upper()}" for sub in model.model_fields)
    return frozenset(names)


def _dotenv_bindings(path: Path) -> Iterator[tuple[str | None, int]]:
    """Each statement of the file that is not a comment or blank: its name (None when it
    does not parse) and its line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return  # load_settings has said why already
    for binding in parse_stream(io.StringIO(text)):
        if binding.error:
            yield None, binding.original.line
        elif binding.key is not None:
            yield binding.key, binding.original.line


def _suggest(name: str, known: frozenset[str]) -> str | None:
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.75)
    return close[0] if close else None


def _unknown(name: str, known: frozenset[str]) -> bool:
    upper = name.upper()
    return upper.startswith(PREFIX) and upper not in known and not upper.startswith(OTHER_PREFIXES)


def unknown_variables(
    env_file: Path, environ: Mapping[str, str] | None = None
) -> list[UnknownVariable]:
    """Unknown ``GLASHATAI_`` names in the environment and in ``env_file``, each once."""
    known = known_names()
    found: dict[str, UnknownVariable] = {}
    for name in sorted(os.environ if environ is None else environ):
        if _unknown(name, known):
            found[name] = UnknownVariable(name, "", _suggest(name.upper(), known))
    for given, _ in _dotenv_bindings(env_file):
        if given is not None and given not in found and _unknown(given, known):
            found[given] = UnknownVariable(given, str(env_file), _suggest(given.upper(), known))
    return list(found.values())


def bad_lines(env_file: Path) -> list[BadLine]:
    """The ``.env`` lines that are not ``NAME=value`` (nor comments or blank)."""
    return [BadLine(env_file, line) for name, line in _dotenv_bindings(env_file) if name is None]
