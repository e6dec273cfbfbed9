"""Alembic: one linear history, and databases made while it had two heads still upgrade."""

from __future__ import annotations

from alembic.script import ScriptDirectory
from sqlalchemy import text

from shared.storage.engine import Database
from shared.storage.migrate import alembic_config, drift, upgrade


def test_the_real_migrations_have_one_head() -> None:
    """Two helpers adding migrations at once produce two heads; this catches it."""
    script = ScriptDirectory.from_config(alembic_config())
    heads = script.get_heads()
    assert len(heads) == 1, f"more than one Alembic head: {heads}; make one revise the other"
    # Every revision is on the one line from base to head.
    line = [r.revision for r in script.walk_revisions()]
    assert len(line) == len(list(script.revision_map.iterate_revisions(heads[0], "base")))


async def _versions(db: Database) -> list[str]:
    async with db.read() as conn:
        rows = await conn.execute(text("SELECT version_num FROM alembic_version"))
        return sorted(r[0] for r in rows)


async def test_a_database_stamped_with_both_old_heads_upgrades(empty_db: Database) -> None:
    """0002 and 0003 used to be two branches: such databases hold both in alembic_version."""
    await upgrade(empty_db, "0003")
    async with empty_db.write() as conn:
        await conn.execute(text("INSERT INTO alembic_version (version_num) VALUES ('0002')"))
    assert await _versions(empty_db) == ["0002", "0003"]

    await upgrade(empty_db)

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert await _versions(empty_db) == [head]
    assert await drift(empty_db) == []
    await upgrade(empty_db)  # and again: nothing to do
    assert await _versions(empty_db) == [head]
