"""Full-text search over releases: SQLite FTS5 or PostgreSQL's 'russian' configuration.

The index is kept by the database itself (migration 0006): triggers fill ``posts_fts`` on
SQLite, and ``posts.search`` is a generated column on PostgreSQL. On SQLite, which has no
Russian stemmer, each word of the query is cut to its Snowball stem (the algorithm
PostgreSQL's 'russian' configuration uses) and matched as a prefix: "отопление" finds
"отопления" and "отоплением" on both engines. «ё» and «е» are one letter: the SQLite index holds «е»
(migration 0016), the query is folded the same way, and PostgreSQL's stemmer folds both.

Every word of the query is required and nothing the visitor types is query syntax: on
SQLite each word is a quoted FTS5 term, on PostgreSQL the words go to ``plainto_tsquery``
(which ANDs them; ``websearch_to_tsquery`` would read "or" and "-" as operators).
"""

from __future__ import annotations

import re
from typing import Any

import snowballstemmer  # type: ignore[import-untyped]
from sqlalchemy import column, func, literal_column, select, table
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.storage.schema import posts

MAX_WORDS = 12
_WORD = re.compile(r"\w+", re.UNICODE)

posts_fts = table("posts_fts", column("rowid"))
POSTGRES_CONFIG = "russian"
_STEMMER = snowballstemmer.stemmer("russian")


def words(query: str) -> list[str]:
    """The query's words, lower-cased, «ё» spelt «е» (as the index holds it)."""
    return _WORD.findall(query.lower().replace("ё", "е"))[:MAX_WORDS]


def fts5_query(query: str) -> str | None:
    """The words as quoted FTS5 prefix terms, all required; never FTS5 syntax from the user."""
    terms = [f'"{_STEMMER.stemWord(word)}"*' for word in words(query)]
    return " ".join(terms) or None


def condition(conn: AsyncConnection, query: str) -> Any | None:
    """A WHERE clause on ``posts`` for ``query``, or None when it has no words."""
    if conn.dialect.name == "sqlite":
        match = fts5_query(query)
        if match is None:
            return None
        ids = select(posts_fts.c.rowid).where(literal_column("posts_fts").op("MATCH")(match))
        return posts.c.id.in_(ids)
    text = " ".join(words(query))
    if not text:
        return None
    tsquery = func.plainto_tsquery(literal_column(f"'{POSTGRES_CONFIG}'"), text)
    return literal_column("posts.search").op("@@")(tsquery)
