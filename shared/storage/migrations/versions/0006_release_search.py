"""the public archive: full-text search over releases (title and body), newest-first index

An index on posts (status, published_at, id) lists published releases newest first.

SQLite: an FTS5 table ``posts_fts`` (rowid = posts.id) kept in sync by triggers; the body's
text is taken from its rich-text JSON with ``json_tree``. PostgreSQL: a generated
``tsvector`` column ``posts.search`` (the 'russian' configuration; title weighted above
body) with a GIN index. Both live outside the SQLAlchemy models: the drift check skips
the names in ``shared.storage.schema.SEARCH_OBJECTS``.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 12:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# The text spans of a stored rich-text document ([{"k": …, "s": [{"t": "text"}, …]}, …]).
_SQLITE_BODY = "(SELECT group_concat(value, ' ') FROM json_tree({row}.body) WHERE key = 't')"
_SQLITE_ROW = "{row}.id, coalesce({row}.title, ''), coalesce(" + _SQLITE_BODY + ", '')"

SQLITE_UP = [
    "CREATE VIRTUAL TABLE posts_fts USING fts5("
    "title, body, tokenize = 'unicode61 remove_diacritics 2')",
    "INSERT INTO posts_fts(rowid, title, body) SELECT "
    + _SQLITE_ROW.format(row="posts")
    + " FROM posts",
    "CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts BEGIN "
    "INSERT INTO posts_fts(rowid, title, body) VALUES (" + _SQLITE_ROW.format(row="new") + "); "
    "END",
    "CREATE TRIGGER posts_fts_update AFTER UPDATE OF title, body ON posts BEGIN "
    "DELETE FROM posts_fts WHERE rowid = old.id; "
    "INSERT INTO posts_fts(rowid, title, body) VALUES (" + _SQLITE_ROW.format(row="new") + "); "
    "END",
    "CREATE TRIGGER posts_fts_delete AFTER DELETE ON posts BEGIN "
    "DELETE FROM posts_fts WHERE rowid = old.id; "
    "END",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS posts_fts_delete",
    "DROP TRIGGER IF EXISTS posts_fts_update",
    "DROP TRIGGER IF EXISTS posts_fts_insert",
    "DROP TABLE IF EXISTS posts_fts",
]

POSTGRES_UP = [
    "ALTER TABLE posts ADD COLUMN search tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('russian', coalesce(title, '')), 'A') || "
    "setweight(jsonb_to_tsvector('russian', "
    "jsonb_path_query_array(body::jsonb, '$[*].s[*].t'), '[\"string\"]'), 'B')"
    ") STORED",
    "CREATE INDEX ix_posts_search ON posts USING gin (search)",
]
POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS ix_posts_search",
    "ALTER TABLE posts DROP COLUMN IF EXISTS search",
]


def _run(statements: list[str]) -> None:
    for statement in statements:
        op.execute(statement)


ARCHIVE_INDEX = "ix_posts_status_published_at_id"


def upgrade() -> None:
    op.create_index(ARCHIVE_INDEX, "posts", ["status", "published_at", "id"])
    sqlite = op.get_bind().dialect.name == "sqlite"
    _run(SQLITE_UP if sqlite else POSTGRES_UP)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    _run(SQLITE_DOWN if sqlite else POSTGRES_DOWN)
    op.drop_index(ARCHIVE_INDEX, table_name="posts")
