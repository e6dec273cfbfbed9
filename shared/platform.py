"""What a platform package under ``bots/`` offers the application: a neutral contract."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from shared.outbox.dispatcher import Sender


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    what: str
    detail: str = ""


class PlatformRuntime(Protocol):
    """A running platform: receives updates into ``shared/``, sends the outbox's rows."""

    name: str
    sender: Sender

    async def start(self) -> None:
        """Begin receiving updates (returns at once; the work runs in the background)."""

    async def stop(self) -> None:
        """Stop receiving updates; sends in flight are the outbox's to finish."""

    async def close(self) -> None:
        """Release connections and threads."""
