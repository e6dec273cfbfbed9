"""Apply and inspect Alembic migrations programmatically (no alembic.ini needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection

from shared.storage.engine import Database
from shared.storage.schema import SEARCH_OBJECTS, metadata

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def modelled(name: str | None, type_: str, parent_names: Any) -> bool:
    """False for the full-text search objects, which only the migrations know."""
    return name not in SEARCH_OBJECTS


def drop_superseded_versions(connection: Connection) -> None:
    """Forget ``alembic_version`` rows that another row's revision already includes.

    Databases made while 0002 and 0003 were two branches hold both; now that 0003 follows
    0002, Alembic would refuse that overlap, though the schema is exactly 0003's.
    """
    current = set(MigrationContext.configure(connection).get_current_heads())
    if len(current) < 2:
        return
    revisions = ScriptDirectory.from_config(alembic_config()).revision_map
    included: set[str] = set()
    for head in current:
        for ancestor in revisions.iterate_revisions(head, "base"):
            if ancestor is not None and ancestor.revision != head:
                included.add(ancestor.revision)
    for version in current & included:
        connection.execute(
            text("DELETE FROM alembic_version WHERE version_num = :v"), {"v": version}
        )


async def upgrade(db: Database, revision: str = "heads") -> None:
    def _run(connection: Connection) -> None:
        drop_superseded_versions(connection)
        command.upgrade(alembic_config(connection), revision)

    async with db.engine.begin() as conn:
        await conn.run_sync(_run)


async def drift(db: Database) -> list[Any]:
    """Differences between the tables in the database and the models (empty means none)."""

    def _compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": modelled}
        )
        return list(compare_metadata(context, metadata))

    async with db.engine.connect() as conn:
        return await conn.run_sync(_compare)


async def revision(db: Database, message: str) -> None:
    """Autogenerate a new revision (a developer's tool: `python -m shared.storage.migrate`)."""

    def _run(connection: Connection) -> None:
        command.revision(alembic_config(connection), message=message, autogenerate=True)

    async with db.engine.begin() as conn:
        await conn.run_sync(_run)


if __name__ == "__main__":
    import asyncio
    import sys
    import tempfile

    async def _main(message: str) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            db = Database(f"sqlite+aiosqlite:///{tmp}/rev.db")
            await upgrade(db)
            await revision(db, message)
            await db.dispose()

    asyncio.run(_main(sys.argv[1] if len(sys.argv) > 1 else "change"))
