"""The heartbeat file that ``glashatai run`` writes and ``glashatai health`` reads.

Its age alone can't tell a stopped instance from a running one for two minutes, nor a
running one whose platform stopped receiving updates: the file says which it is.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class Health(StrEnum):
    """What the instance said about itself when it last wrote the heartbeat."""

    RUNNING = "running"  # running, and every platform receives updates
    UNHEALTHY = "unhealthy"  # running, but a platform stopped receiving updates
    STOPPED = "stopped"  # stopped on purpose (SIGTERM, Ctrl+C)


@dataclass(frozen=True)
class Beat:
    state: Health
    detail: str
    age: float  # seconds since it was written


def write(path: Path, state: Health, detail: str = "") -> None:
    """Replace the file whole, so a reader never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"state": state.value, "detail": detail, "pid": os.getpid(), "at": int(time.time())}
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)


def read(path: Path) -> Beat | None:
    """The last beat, or None if there is none yet."""
    try:
        raw = path.read_text(encoding="utf-8")
        age = time.time() - path.stat().st_mtime
    except FileNotFoundError:
        return None
    try:
        data = json.loads(raw)
        state = Health(data["state"])
        detail = str(data.get("detail", ""))
    except (ValueError, KeyError, TypeError):
        # A heartbeat of an older version: only a timestamp.
        state, detail = Health.RUNNING, ""
    return Beat(state, detail, age)
