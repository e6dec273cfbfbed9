"""the public archive's search: «ё» and «е» are one letter

SQLite: the FTS5 index (``posts_fts``, migration 0006) kept «ё» as written, while the query's
words are cut to Snowball stems, which spell it «е»: «ёлка» was never found. The triggers now
fold «ё» to «е» (and «Ё» to «Е») in what they index, and the index is rebuilt from ``posts``.
PostgreSQL needs nothing: its 'russian' Snowball stemmer folds «ё» in both the stored
``tsvector`` and the query.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 10:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

# The text spans of a stored rich-text document, as in 0006.
_BODY = "(SELECT group_concat(value, ' ') FROM json_tree({row}.body) WHERE key = 't')"


def _folded(expression: str) -> str:
    return f"replace(replace({expression}, 'ё', 'е'), 'Ё', 'Е')"


def _row(fold: bool) -> str:
    title, body = "coalesce({row}.title, '')", "coalesce(" + _BODY + ", '')"
    if fold:
        title, body = _folded(title), _folded(body)
    return "{row}.id, " + title + ", " + body


def _statements(fold: bool) -> list[str]:
    """The 0006 triggers (folding «ё» when ``fold``) and the index rebuilt by them."""
    row = _row(fold)
    return [
        "DROP TRIGGER IF EXISTS posts_fts_insert",
        "DROP TRIGGER IF EXISTS posts_fts_update",
        "CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts BEGIN "
        "INSERT INTO posts_fts(rowid, title, body) VALUES (" + row.format(row="new") + "); "
        "END",
        "CREATE TRIGGER posts_fts_update AFTER UPDATE OF title, body ON posts BEGIN "
        "DELETE FROM posts_fts WHERE rowid = old.id; "
        "INSERT INTO posts_fts(rowid, title, body) VALUES (" + row.format(row="new") + "); "
        "END",
        "DELETE FROM posts_fts",
        "INSERT INTO posts_fts(rowid, title, body) SELECT "
        + row.format(row="posts")
        + " FROM posts",
    ]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in _statements(fold=True):
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in _statements(fold=False):
            op.execute(statement)
