"""the public archive's search: word forms, not prefixes; text in one Unicode form

SQLite: a query word was matched as a prefix of its stem («лес» found «лестниц»); it is now
matched by the indexed words with the same stem, read from the index's vocabulary: an
``fts5vocab`` table ``posts_fts_vocab`` over ``posts_fts`` (no data of its own). Text from a
PDF or a Mac may spell «ё» and «й» decomposed (NFD: «е» + U+0308, «и» + U+0306); the
tokenizer drops the mark, so «й» was indexed as «и». The triggers (0016) now compose both
before folding «ё» to «е», and the index is rebuilt.

PostgreSQL: ``posts.search`` (0006) indexes the text in NFC, where its stemmer folds «ё»
(it did not fold a decomposed one). A generated column's expression cannot be altered: the
column and its index are dropped and added again, and every row is indexed again. A database
not in UTF-8, where ``normalize`` refuses to run, keeps the old column.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 10:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

# --- SQLite ---------------------------------------------------------------------------

# The text spans of a stored rich-text document, as in 0006.
_BODY = "(SELECT group_concat(value, ' ') FROM json_tree({row}.body) WHERE key = 't')"
_COMPOSED = (("е\u0308", "ё"), ("Е\u0308", "Ё"), ("и\u0306", "й"), ("И\u0306", "Й"))
_FOLDED = (("ё", "е"), ("Ё", "Е"))


def _replaced(expression: str, pairs: tuple[tuple[str, str], ...]) -> str:
    for old, new in pairs:
        expression = f"replace({expression}, '{old}', '{new}')"
    return expression


def _row(compose: bool) -> str:
    """The trigger's row: id, title and body text, «ё» folded (and first composed)."""
    pairs = (_COMPOSED if compose else ()) + _FOLDED
    title = _replaced("coalesce({row}.title, '')", pairs)
    body = _replaced("coalesce(" + _BODY + ", '')", pairs)
    return "{row}.id, " + title + ", " + body


def _sqlite(compose: bool) -> list[str]:
    """The 0016 triggers (composing NFD «ё» and «й» when ``compose``); the index rebuilt."""
    row = _row(compose)
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


VOCAB_UP = "CREATE VIRTUAL TABLE IF NOT EXISTS posts_fts_vocab USING fts5vocab(posts_fts, row)"
VOCAB_DOWN = "DROP TABLE IF EXISTS posts_fts_vocab"

# --- PostgreSQL ----------------------------------------------------------------------

_TEXTS = "jsonb_path_query_array(body::jsonb, '$[*].s[*].t')"


def _search_column(nfc: bool) -> str:
    title, texts = "coalesce(title, '')", _TEXTS
    if nfc:
        title, texts = f"normalize({title}, NFC)", f"normalize({texts}::text, NFC)::jsonb"
    return (
        "ALTER TABLE posts ADD COLUMN search tsvector GENERATED ALWAYS AS ("
        f"setweight(to_tsvector('russian', {title}), 'A') || "
        f"setweight(jsonb_to_tsvector('russian', {texts}, '[\"string\"]'), 'B')"
        ") STORED"
    )


def _postgres(nfc: bool) -> list[str]:
    return [
        "DROP INDEX IF EXISTS ix_posts_search",
        "ALTER TABLE posts DROP COLUMN IF EXISTS search",
        _search_column(nfc),
        "CREATE INDEX ix_posts_search ON posts USING gin (search)",
    ]


def _utf8() -> bool:
    encoding = op.get_bind().exec_driver_sql("SHOW server_encoding").scalar()
    return str(encoding).upper().replace("-", "") == "UTF8"


def _run(statements: list[str]) -> None:
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _run([VOCAB_UP, *_sqlite(compose=True)])
    elif _utf8():
        _run(_postgres(nfc=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _run([VOCAB_DOWN, *_sqlite(compose=False)])
    elif _utf8():
        _run(_postgres(nfc=False))
