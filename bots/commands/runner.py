"""What every ``glashatai`` subcommand does around its work: load the settings, build the
services, bring the schema up to date, and name a missing item in the feature's words."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from shared.errors import NotFound
from shared.services import Services
from shared.storage.migrate import upgrade


def run(
    work: Callable[[Services], Awaitable[int]],
    *,
    prepare: Callable[[Services], None] | None = None,
    not_found: str | None = None,
    item_id: int | None = None,
) -> int:
    """Run ``work`` once; ``prepare`` runs before the migration, so a refusal writes nothing.

    A ``NotFound`` about ``item_id`` is re-raised with the ``not_found`` text (``{id}`` filled).
    """
    from bots.cli import _settings

    settings = _settings()
    logging.getLogger("alembic").setLevel(logging.WARNING)

    async def go() -> int:
        services = Services.build(settings)
        try:
            if prepare is not None:
                prepare(services)
            await upgrade(services.db)
            return await work(services)
        except NotFound:
            if item_id is None or not_found is None:
                raise
            raise NotFound(services.texts(not_found, id=item_id)) from None
        finally:
            await services.db.dispose()

    return asyncio.run(go())
