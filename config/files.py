"""The office's own files named by the settings (texts, alert topics), checked at start.

A file that can't be used is a configuration error named by its variable, like any bad
value, rather than a failure of whichever command first reads it. Each problem is a
``PydanticCustomError`` whose type the CLI says in Russian (``config.problem.…`` in the
catalogue) and whose ``variable`` names the setting.
"""

from __future__ import annotations

import errno
import re
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from string import Formatter
from typing import Any

from pydantic_core import PydanticCustomError

TOPIC_KEY_LENGTH = 64  # alert_subscriptions.topic (shared/alerts/topics.py)
TOML_LINE_RE = re.compile(r"\(at line (\d+)")
FILE_ERRORS = {
    errno.ENOENT: "config_file_missing",
    errno.EISDIR: "config_file_folder",
    errno.EACCES: "config_file_denied",
    errno.EPERM: "config_file_denied",
}


def _problem(kind: str, message: str, variable: str, path: Path, **values: Any) -> Exception:
    context = {"variable": variable, "path": str(path), **values}
    return PydanticCustomError(kind, f"{{path}}: {message}", context)


def read_toml(path: Path, variable: str) -> dict[str, Any]:
    """The file's TOML, or the configuration error saying why not."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        kind = FILE_ERRORS.get(exc.errno or 0, "config_file_unreadable")
        raise _problem(kind, "can't be read", variable, path, detail=exc.strerror or "") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _problem(
            "config_file_not_utf8", "not UTF-8 text", variable, path, offset=exc.start
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = TOML_LINE_RE.search(str(exc))
        line = found.group(1) if found else "?"
        raise _problem("config_file_not_toml", "not TOML", variable, path, line=line) from None


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, Mapping):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = str(value)
    return out


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(template) if name}


def check_texts(path: Path, variable: str) -> None:
    """An override of the catalogue: only keys it has, only the placeholders each text has."""
    given = _flatten(read_toml(path, variable))
    shipped = resources.files("shared").joinpath("texts_ru.toml").read_text("utf-8")
    catalogue = _flatten(tomllib.loads(shipped))
    unknown = sorted(set(given) - set(catalogue))
    if unknown:
        raise _problem(
            "texts_unknown_keys", "unknown keys {keys}", variable, path, keys=", ".join(unknown)
        )
    for key, text in given.items():
        try:
            extra = _fields(text) - _fields(catalogue[key])
        except ValueError:  # a lone { or }
            extra = {"{"}
        if extra:
            names = ", ".join(sorted(extra))
            raise _problem(
                "texts_placeholders",
                "{text} uses unknown placeholders {names}",
                variable,
                path,
                text=key,
                names=names,
            )


def check_topics(path: Path, variable: str) -> None:
    """A ``[topics]`` table of ``key = "title"``, as shared/alerts/topics.py reads it."""
    table = read_toml(path, variable).get("topics")
    if not isinstance(table, dict) or not table:
        raise _problem("topics_no_table", "no [topics] table", variable, path)
    for key, title in table.items():
        if not isinstance(title, str) or not title.strip() or len(key) > TOPIC_KEY_LENGTH:
            raise _problem("topics_bad_topic", "bad topic {topic}", variable, path, topic=key)
