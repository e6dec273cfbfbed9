"""The services every handler, job and command needs, built once and passed in.

Features (press releases, hotlines) install themselves here: they add their planners for
the scheduler and their hooks on outbox outcomes, and the app wires both in.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from config.settings import Settings
from shared.outbox.dispatcher import Hook, Wanted
from shared.planning import Planner
from shared.platform import PostLimits
from shared.storage.engine import Database
from shared.texts import Texts
from shared.throttle import Presses


@dataclass
class Services:
    settings: Settings
    db: Database
    texts: Texts
    wake_outbox: Callable[[], None] = field(default=lambda: None)
    hooks: dict[str, list[Hook]] = field(default_factory=dict)
    wanted: dict[str, Wanted] = field(default_factory=dict)
    # Citizens' recent button presses (``shared.throttle``): flood control for buttons.
    presses: Presses = field(default_factory=Presses)
    planners: list[Planner] = field(default_factory=list)
    features: dict[str, Any] = field(default_factory=dict)
    # Each platform's limits on a post (``bots.registry.post_limits``): checked before storing.
    limits: dict[str, PostLimits] = field(default_factory=dict)
    # Each configured platform's link that starts its bot with a payload, as (title, url)
    # (``bots.registry.deep_links``, set by the app): a hotline's links for the admins.
    deep_links: Callable[[str], Awaitable[list[tuple[str, str]]]] | None = None

    @classmethod
    def build(cls, settings: Settings) -> Services:
        return cls(
            settings=settings,
            db=Database(settings.database.url, echo=settings.database.echo),
            texts=Texts.load(settings.texts_file),
        )

    def on_outcome(self, ref_type: str, hook: Hook) -> None:
        """Run ``hook`` in the transaction that records an outbox row's final state."""
        self.hooks.setdefault(ref_type, []).append(hook)

    def still_wanted(self, ref_type: str, check: Wanted) -> None:
        """Ask ``check`` before the outbox retries a row of ``ref_type`` (``Dispatcher``)."""
        self.wanted[ref_type] = check

    def add_planner(self, planner: Planner) -> None:
        self.planners.append(planner)
