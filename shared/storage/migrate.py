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

from shared.errors import GlashataiError
from shared.storage.engine import Database
from shared.storage.schema import SEARCH_OBJECTS, metadata
from shared.texts import Texts

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


class NewerDatabase(GlashataiError):
    """The database names a revision this release's migrations don't know: a later release
    migrated it (the package was rolled back). Nothing can be done with it safely here."""

    def __init__(self, revisions: list[str]) -> None:
        self.revisions = revisions
        super().__init__(Texts.load()("storage.newer_database", revision=", ".join(revisions)))


def unknown_revisions(connection: Connection) -> list[str]:
    """The database's revisions that no migration script here names (empty when none)."""
    current = MigrationContext.configure(connection).get_current_heads()
    script = ScriptDirectory.from_config(alembic_config())
    known = {r.revision for r in script.walk_revisions()}  # exact ids, not Alembic's prefixes
    return sorted(set(current) - known)


def refuse_newer(connection: Connection) -> None:
    """Say "written by a newer Glashatai" in one line rather than Alembic's traceback."""
    unknown = unknown_revisions(connection)
    if unknown:
        raise NewerDatabase(unknown)


async def check_revision(db: Database) -> None:
    """``refuse_newer`` for a command that only reads (``glashatai check``)."""
    async with db.engine.connect() as conn:
        await conn.run_sync(refuse_newer)


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
        refuse_newer(connection)
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
