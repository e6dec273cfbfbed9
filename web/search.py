"""Full-text search over releases: SQLite FTS5 or PostgreSQL's 'russian' configuration.

The index is kept by the database itself (migrations 0006, 0016, 0018): triggers fill
``posts_fts`` on SQLite, and ``posts.search`` is a generated column on PostgreSQL.

PostgreSQL reads the query as typed (trimmed, in NFC) with ``plainto_tsquery``: its parser
splits it as it split the release, so a date (01.12.2026), an e-mail, a site's address or
«COVID-19» is found as written; it stems the words, drops stop words and ANDs the rest
(``websearch_to_tsquery`` would read "or" and "-" as operators).

SQLite has no Russian stemmer, so each query word is matched by its forms in the index: the
indexed words (``posts_fts_vocab``) that begin with the word's Snowball stem (the algorithm
PostgreSQL's 'russian' configuration uses) and have that very stem. «отопление» finds
«отопления» and «отоплением», «лес» finds «леса» but not «лестниц». PostgreSQL's stop
words are left out as PostgreSQL leaves them out; every other word is required, each form a
quoted FTS5 term: nothing the visitor types is FTS5 syntax.

Both engines spell a word alike: NFC («е» + U+0308 typed from a PDF is «ё»), «ё» as «е»
(the SQLite index holds «е», migration 0016; PostgreSQL's stemmer folds it); on SQLite also
without the accents FTS5's tokenizer drops (a stress mark; «café» is «cafe»).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any

import snowballstemmer  # type: ignore[import-untyped]
from sqlalchemy import column, false, func, literal_column, select, table
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.storage.schema import posts

MAX_WORDS = 12
_WORD = re.compile(r"\w+", re.UNICODE)

posts_fts = table("posts_fts", column("rowid"))
posts_fts_vocab = table("posts_fts_vocab", column("term"))  # one row per indexed word
POSTGRES_CONFIG = "russian"
_STEMMER = snowballstemmer.stemmer("russian")
_ABOVE_ALL = "\U0010ffff"  # sorts after any character: the end of a prefix's range

# PostgreSQL's 'russian' stop words (tsearch_data/russian.stop, Snowball's list), «ё» as «е».
_STOP_LIST = """
    и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только
    ее мне было вот от меня еще нет о из ему теперь когда даже ну вдруг ли если уже или ни
    быть был него до вас нибудь опять уж вам ведь там потом себя ничего ей может они тут где
    есть надо ней для мы тебя их чем была сам чтоб без будто чего раз тоже себе под будет ж
    тогда кто этот того потому этого какой совсем ним здесь этом один почти мой тем чтобы нее
    сейчас были куда зачем всех никогда можно при наконец два об другой хоть после над больше
    тот через эти нас про всего них какая много разве три эту моя впрочем хорошо свою этой
    перед иногда лучше чуть том нельзя такой им более всегда конечно всю между
"""
STOP_WORDS = frozenset(_STOP_LIST.split())


def normalised(query: str) -> str:
    """The query as typed, in NFC and without NUL (which PostgreSQL refuses in text)."""
    return unicodedata.normalize("NFC", query.replace("\x00", "")).strip()


def words(query: str) -> list[str]:
    """The query's words as the SQLite index holds them: lower-cased, «ё» spelt «е»,
    without the accents its tokenizer drops."""
    text = _unaccented(normalised(query).lower().replace("ё", "е"))
    return _WORD.findall(text)[:MAX_WORDS]


def _unaccented(text: str) -> str:
    """Without combining marks (a stress mark) and Latin letters' diacritics, as FTS5's
    ``unicode61 remove_diacritics 2`` indexes them; «й» and «ё», Cyrillic, are kept."""
    kept = []
    for char in text:
        if unicodedata.combining(char):
            continue
        if not char.isascii() and (char < "\u0250" or "\u1e00" <= char <= "\u1eff"):  # Latin
            char = unicodedata.normalize("NFD", char)[0]
        kept.append(char)
    return "".join(kept)


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return str(_STEMMER.stemWord(word))


async def _forms(conn: AsyncConnection, word: str) -> list[str]:
    """The indexed words with ``word``'s stem: its forms, not every word it begins."""
    root = stem(word)
    found = await conn.execute(
        select(posts_fts_vocab.c.term).where(
            posts_fts_vocab.c.term >= root, posts_fts_vocab.c.term < root + _ABOVE_ALL
        )
    )
    return [term for (term,) in found if stem(term) == root]


def fts5_match(forms: list[list[str]]) -> str:
    """Each word's forms as quoted FTS5 terms: any form of every word."""
    quoted = [" OR ".join('"' + f.replace('"', '""') + '"' for f in each) for each in forms]
    return " AND ".join(f"({terms})" for terms in quoted)


async def condition(conn: AsyncConnection, query: str) -> Any | None:
    """A WHERE clause on ``posts`` for ``query``, or None when it has no words."""
    found = words(query)
    if not found:
        return None
    if conn.dialect.name != "sqlite":
        tsquery = func.plainto_tsquery(literal_column(f"'{POSTGRES_CONFIG}'"), normalised(query))
        return literal_column("posts.search").op("@@")(tsquery)
    forms = [await _forms(conn, word) for word in found if word not in STOP_WORDS]
    if not forms or not all(forms):  # only stop words (as PostgreSQL), or a word not indexed
        return false()
    match = literal_column("posts_fts").op("MATCH")(fts5_match(forms))
    return posts.c.id.in_(select(posts_fts.c.rowid).where(match))
