"""The services every handler, job and command needs, built once and passed in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from config.settings import Settings
from shared.storage.engine import Database
from shared.texts import Texts


@dataclass
class Services:
    settings: Settings
    db: Database
    texts: Texts
    wake_outbox: Callable[[], None] = field(default=lambda: None)

    @classmethod
    def build(cls, settings: Settings) -> Services:
        return cls(
            settings=settings,
            db=Database(settings.database.url, echo=settings.database.echo),
            texts=Texts.load(settings.texts_file),
        )
