"""Similar waiting questions of the same hotline, found through an inverted index.

Each question's lemma terms are kept in ``question_terms`` (hotline, term, question). To
find a question's look-alikes we count, capped, how many questions hold each of its terms
(the rarer, the weightier), fetch the newest waiting holders of its rarest terms, keep the
best-placed candidates, and score those exactly: a weighted Dice overlap of lemmas where a
misspelt word still meets its correct form (rapidfuzz). Nothing scans the hotline. On
PostgreSQL all but the scoring is one statement (a trip to the server costs more than the
work on a busy machine); SQLite, in the process, takes two.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import (
    BigInteger,
    CompoundSelect,
    Float,
    Integer,
    Select,
    String,
    Text,
    bindparam,
    cast,
    delete,
    func,
    insert,
    literal,
    literal_column,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.selectable import Subquery

from shared.domain import QuestionStatus
from shared.hotlines.lemmas import known, lemmas, ready
from shared.storage import writebehind
from shared.storage.schema import question_similar, question_terms, questions

WAITING = (QuestionStatus.NEW.value, QuestionStatus.ASSIGNED.value)
# Term counts stop here: a term held by this many questions is common, whatever the total.
DF_CAP = 300
# The rarest terms of a question that fetch its candidates, and how many holders of each.
RETRIEVAL_TERMS = 5
PER_TERM = 60
MIN_RARE = 2
# Candidates scored exactly, after the rough ranking by shared rare terms.
SCORED = 30
# A misspelt word meets a known one at this rapidfuzz ratio (words of 5 letters or more).
TYPO_RATIO = 80.0
TYPO_MIN_LENGTH = 5
MAX_FOUND = 100
# A candidate's word the question lacks is weighed as if this many questions held it: not
# counted (a query per search for the candidates' every word), and on the labelled set a
# fixed weight separates groups better than the counted one.
UNSEEN_WEIGHT = math.log(1.0 + DF_CAP / 15)
# The score's share kept when two questions name different numbers, or only one names any.
OTHER_NUMBER = 0.3
ONE_NUMBER = 0.85


@dataclass(frozen=True)
class Match:
    """A similar question and how alike the two are (0..1)."""

    question_id: int
    score: float


async def index(conn: AsyncConnection, question_id: int, hotline_id: int | None, text: str) -> None:
    """Add a question to its hotline's index (a question outside a hotline has no group).

    Called once per question, when it is first carded (at intake, or when an unban returns
    it); the rows wait in the transaction's write-behind queue with intake's other writes.
    """
    if hotline_id is None:
        return
    await ready()
    words = lemmas(text)
    row = {"question_id": question_id, "lemmas": " ".join(words), "apart": False}
    await writebehind.insert(conn, question_similar, row)
    for term in sorted(set(words)):
        row = {"hotline_id": hotline_id, "term": term, "question_id": question_id}
        await writebehind.insert(conn, question_terms, row)


async def index_many(
    conn: AsyncConnection, hotline_id: int, items: Sequence[tuple[int, str]]
) -> None:
    """Add questions (id, text) of one hotline to its index, in two statements."""
    await ready()
    found = [(qid, lemmas(text)) for qid, text in items]
    if not found:
        return
    await conn.execute(
        insert(question_similar),
        [{"question_id": qid, "lemmas": " ".join(words), "apart": False} for qid, words in found],
    )
    terms = [
        {"hotline_id": hotline_id, "term": term, "question_id": qid}
        for qid, words in found
        for term in sorted(set(words))
    ]
    if terms:
        await conn.execute(insert(question_terms), terms)


def weight(df: int) -> float:
    """A term's weight from how many questions hold it: rare terms tell most."""
    return math.log(1.0 + DF_CAP / max(df, 1))


@cache
def _terms_sql() -> Select[Any]:
    """A question's hotline and terms, each with how many questions of the hotline hold it
    (counted up to ``DF_CAP``), or no rows for a question taken out of groups: one
    statement for any number of terms, so prepared once per connection."""
    own = question_terms.alias("own")
    other = question_terms.alias("other")
    held = (
        select(literal_column("1"))
        .select_from(other)
        .where(other.c.hotline_id == own.c.hotline_id, other.c.term == own.c.term)
        .correlate(own)
        .limit(DF_CAP)
        .subquery("held")
    )
    count = select(func.count()).select_from(held).scalar_subquery()
    return (
        select(own.c.hotline_id, own.c.term, count.label("n"))
        .select_from(
            own.join(question_similar, question_similar.c.question_id == own.c.question_id)
        )
        .where(own.c.question_id == bindparam("q"), question_similar.c.apart.is_(False))
    )


@cache
def _search_sql() -> CompoundSelect[Any]:
    """PostgreSQL: the whole search in one statement, one trip to the server (the trips,
    not the work, are most of a search's time on a busy machine). The question's terms with
    their counts; of them the retrieval terms (``_retrieval``'s choice: the rarest, common
    ones only when fewer than ``MIN_RARE`` are rare; ties in byte order, as Python sorts)
    with their weights; each one's newest waiting holders (LATERAL); the best ranked. Rows
    of the first kind carry ``term``, of the second ``question_id``."""
    own = _terms_sql().cte("own")
    rare = select(func.count()).select_from(own).where(own.c.n < DF_CAP).scalar_subquery()
    share = literal(float(DF_CAP), Float) / cast(func.greatest(own.c.n, 1), Float)
    picked = (
        select(own.c.hotline_id, own.c.term, func.ln(1.0 + share).label("w"))
        .where(or_(own.c.n < DF_CAP, rare < MIN_RARE))
        .order_by(own.c.n, own.c.term.collate("C"))
        .limit(RETRIEVAL_TERMS)
        .cte("picked")
    )
    holders = (
        select(question_terms.c.question_id)
        .join(questions, questions.c.id == question_terms.c.question_id)
        .where(
            question_terms.c.hotline_id == picked.c.hotline_id,
            question_terms.c.term == picked.c.term,
            question_terms.c.question_id != bindparam("q"),
            questions.c.status.in_(WAITING),
        )
        .order_by(question_terms.c.question_id.desc())
        .limit(PER_TERM)
        .lateral("holders")
    )
    hits = (
        select(picked.c.w, holders.c.question_id)
        .select_from(picked.join(holders, true()))
        .subquery("hits")
    )
    best = _best(hits)
    terms = select(
        own.c.term,
        own.c.n,
        cast(null(), BigInteger).label("question_id"),
        cast(null(), Text).label("lemmas"),
    )
    candidates = (
        select(
            cast(null(), String),
            cast(null(), Integer),
            question_similar.c.question_id,
            question_similar.c.lemmas,
        )
        .join(best, best.c.question_id == question_similar.c.question_id)
        .where(question_similar.c.apart.is_(False))
    )
    return union_all(terms, candidates)


@lru_cache(maxsize=RETRIEVAL_TERMS)
def _candidates_sql(n: int) -> Select[Any]:
    """The newest waiting holders of each of n terms, ranked by the weight of the terms they
    share, the best few with their lemmas: one statement, one trip to the database."""
    parts = []
    for i in range(n):
        holders = (
            select(
                cast(bindparam(f"w{i}"), Float).label("w"),
                question_terms.c.question_id.label("question_id"),
            )
            .join(questions, questions.c.id == question_terms.c.question_id)
            .where(
                question_terms.c.hotline_id == bindparam("h"),
                question_terms.c.term == bindparam(f"t{i}"),
                question_terms.c.question_id != bindparam("self"),
                questions.c.status.in_(WAITING),
            )
            .order_by(question_terms.c.question_id.desc())
            .limit(PER_TERM)
        )
        parts.append(select(holders.subquery(f"p{i}")))
    hits = (parts[0] if n == 1 else union_all(*parts)).subquery("hits")
    best = _best(hits)
    return (
        select(question_similar.c.question_id, question_similar.c.lemmas)
        .join(best, best.c.question_id == question_similar.c.question_id)
        .where(question_similar.c.apart.is_(False))
    )


async def _candidates(
    conn: AsyncConnection,
    hotline_id: int,
    question_id: int,
    terms: Sequence[str],
    weights: dict[str, float],
) -> dict[int, list[str]]:
    """The best-placed candidates (question: its lemmas) among the holders of these terms."""
    if not terms:
        return {}
    values: dict[str, object] = {"h": hotline_id, "self": question_id}
    for i, term in enumerate(terms):
        values[f"t{i}"], values[f"w{i}"] = term, weights[term]
    rows = await conn.execute(_candidates_sql(len(terms)), values)
    return {int(r.question_id): str(r.lemmas).split() for r in rows}


def _retrieval(counts: dict[str, int]) -> list[str]:
    """The terms that fetch candidates: the rarest; common ones (counted to the cap) only
    when the question has too few others, since each brings its newest holders at random."""
    ordered = sorted(counts, key=lambda t: (counts[t], t))
    rare = [t for t in ordered if counts[t] < DF_CAP]
    return (rare if len(rare) >= MIN_RARE else ordered)[:RETRIEVAL_TERMS]


def _met(word: str, others: set[str], typos: list[str]) -> float:
    """1 when the other question has the word; a misspelling's ratio; else 0.

    Only an unknown word (to the dictionary) is taken for a misspelling, of either side:
    two real words a letter apart («давать», «сдавать») are different words.
    """
    if word in others:
        return 1.0
    if len(word) < TYPO_MIN_LENGTH:
        return 0.0
    pool = typos if known(word) else [w for w in others if len(w) >= TYPO_MIN_LENGTH]
    if not pool:
        return 0.0
    best = process.extractOne(word, pool, scorer=fuzz.ratio, score_cutoff=TYPO_RATIO)
    return best[1] / 100.0 if best is not None else 0.0


def _numbers(words: set[str]) -> set[str]:
    return {w for w in words if w[0].isdigit()}


def score(a: Sequence[str], b: Sequence[str], weights: dict[str, float]) -> float:
    """Weighted Dice overlap of two questions' lemma sets, misspellings forgiven.

    Numbers are mostly houses, routes and schools: two questions naming different ones
    are about different things, and one naming a number the other lacks may be.
    """
    set_a, set_b = set(a), set(b)
    if not set_a or not set_b:
        return 0.0
    typos_a = [w for w in set_a if len(w) >= TYPO_MIN_LENGTH and not known(w)]
    typos_b = [w for w in set_b if len(w) >= TYPO_MIN_LENGTH and not known(w)]
    total = sum(weights.get(w, 1.0) for w in set_a) + sum(weights.get(w, 1.0) for w in set_b)
    met = sum(weights.get(w, 1.0) * _met(w, set_b, typos_b) for w in set_a)
    met += sum(weights.get(w, 1.0) * _met(w, set_a, typos_a) for w in set_b)
    found = met / total if total else 0.0
    numbers_a, numbers_b = _numbers(set_a), _numbers(set_b)
    if numbers_a and numbers_b and not numbers_a & numbers_b:
        found *= OTHER_NUMBER
    elif bool(numbers_a) != bool(numbers_b):
        found *= ONE_NUMBER
    return found


Found = tuple[dict[str, int], dict[int, list[str]]]  # term counts; candidates' lemmas


async def in_one_statement(conn: AsyncConnection, question_id: int) -> Found:
    """PostgreSQL's read: the question's term counts and its candidates, in one trip."""
    rows = (await conn.execute(_search_sql(), {"q": question_id})).all()
    counts = {str(r.term): int(r.n) for r in rows if r.term is not None}
    theirs = {int(r.question_id): str(r.lemmas).split() for r in rows if r.term is None}
    return counts, theirs


async def in_two_statements(conn: AsyncConnection, question_id: int) -> Found:
    """The same read in two statements, for SQLite (no LATERAL; in the process a trip is
    cheap): the term counts, then the candidates of the retrieval terms."""
    rows = (await conn.execute(_terms_sql(), {"q": question_id})).all()
    if not rows:
        return {}, {}
    counts = {str(r.term): int(r.n) for r in rows}
    weights = {t: weight(n) for t, n in counts.items()}
    hotline_id = int(rows[0].hotline_id)
    return counts, await _candidates(conn, hotline_id, question_id, _retrieval(counts), weights)


async def find(
    conn: AsyncConnection, question_id: int, threshold: float, limit: int = MAX_FOUND
) -> list[Match]:
    """Waiting questions of the same hotline like this one, most alike first.

    Questions a moderator took out of groups are neither found nor given look-alikes. A
    question just stored is found too: the transaction's queued index rows are sent first.
    """
    postgres = conn.dialect.name == "postgresql"
    read = in_one_statement if postgres else in_two_statements
    counts, theirs = await read(conn, question_id)
    if not counts:
        return []
    await ready()  # scoring asks the dictionary which words are misspellings
    weights = {t: weight(n) for t, n in counts.items()}
    weights.update((w, UNSEEN_WEIGHT) for ws in theirs.values() for w in ws if w not in weights)
    found = [Match(q, score(list(counts), ws, weights)) for q, ws in theirs.items()]
    found = [m for m in found if m.score >= threshold]
    found.sort(key=lambda m: (-m.score, m.question_id))
    return found[:limit]


async def forget(conn: AsyncConnection, question_ids: Sequence[int]) -> None:
    """Drop questions from the index: their lemmas are a copy of the citizen's words."""
    if question_ids:
        ids = list(question_ids)
        await conn.execute(delete(question_terms).where(question_terms.c.question_id.in_(ids)))
        await conn.execute(delete(question_similar).where(question_similar.c.question_id.in_(ids)))


async def members(conn: AsyncConnection, question_id: int) -> list[int] | None:
    """The others a reply to this question's card answers; None when it answers it alone
    (as a question taken out of groups always is, whatever its own card had)."""
    row = await conn.execute(
        select(question_similar.c.group_ids, question_similar.c.apart).where(
            question_similar.c.question_id == question_id
        )
    )
    found = row.first()
    if found is None or found.group_ids is None or found.apart:
        return None
    return [int(i) for i in found.group_ids]


def _best(hits: Subquery) -> Subquery:
    """The ``SCORED`` questions whose shared terms weigh most (newest first on a tie)."""
    rank = func.sum(hits.c.w).label("rank")
    return (
        select(hits.c.question_id, rank)
        .group_by(hits.c.question_id)
        .order_by(rank.desc(), hits.c.question_id.desc())
        .limit(SCORED)
        .subquery("best")
    )
