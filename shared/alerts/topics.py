"""The topics of alerts, configured in TOML: a shipped default, or the office's own file."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from shared.errors import InvalidInput

DEFAULT_FILE = Path(__file__).with_name("topics.toml")
KEY_LENGTH = 64  # alert_subscriptions.topic


@dataclass(frozen=True)
class Topic:
    key: str  # stored in subscriptions and alerts; stable when the title changes
    title: str  # what people see


def load(path: Path | None = None) -> list[Topic]:
    """The topics in file order; a file that can't be read is a configuration error."""
    source = path or DEFAULT_FILE
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InvalidInput(f"alert topics file {source}: {type(exc).__name__}") from None
    table = data.get("topics")
    if not isinstance(table, dict) or not table:
        raise InvalidInput(f"alert topics file {source}: no [topics] table")
    found: list[Topic] = []
    for key, title in table.items():
        if not isinstance(title, str) or not title.strip() or len(key) > KEY_LENGTH:
            raise InvalidInput(f"alert topics file {source}: bad topic {key!r}")
        found.append(Topic(key, title.strip()))
    return found


def find(topics: list[Topic], name: str) -> Topic | None:
    """A topic by its key, its title or its number in the list (from 1), case-insensitively."""
    wanted = name.strip().casefold()
    if wanted.isascii() and wanted.isdigit() and 1 <= int(wanted) <= len(topics):
        return topics[int(wanted) - 1]
    for topic in topics:
        if wanted in (topic.key.casefold(), topic.title.casefold()):
            return topic
    return None
