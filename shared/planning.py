"""The contract between a feature and the scheduler: the schedule's truth is in our tables."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol


class Planner(Protocol):
    name: str

    async def run_due(self, now: datetime) -> None:
        """Act on everything due at ``now`` (idempotent: it may be called again)."""

    async def upcoming(self, now: datetime, until: datetime) -> Sequence[datetime]:
        """Times in (now, until] when something falls due."""
        ...
