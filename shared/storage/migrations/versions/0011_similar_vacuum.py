"""similar questions on PostgreSQL: vacuum the term index after fewer inserts

A search counts a term's holders and fetches its newest ones with index-only scans of
``question_terms``' primary key; on a page not yet marked all-visible each entry costs a
heap visit too, and the newest entries are the ones a search reads. By default autovacuum
waits for inserts of 20 % of the table (120,000 rows in a hotline of 100,000 questions);
at 1 % plus 1,000 rows it marks the pages within a few hundred questions. ``questions``
likewise, whose status a search checks for each holder. SQLite has no such setting.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 15:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_TABLES = ("question_terms", "questions")
_SETTINGS = ("autovacuum_vacuum_insert_scale_factor", "autovacuum_vacuum_insert_threshold")


def upgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    for table in _TABLES:
        op.execute(
            f"ALTER TABLE {table} SET (autovacuum_vacuum_insert_scale_factor = 0.01,"
            " autovacuum_vacuum_insert_threshold = 1000)"
        )


def downgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    for table in _TABLES:
        op.execute(f"ALTER TABLE {table} RESET ({', '.join(_SETTINGS)})")
