"""Similar waiting questions of the same hotline, found through an inverted index.

Each question's lemma terms are kept in ``question_terms`` (hotline, term, question). To
find a question's look-alikes we count, capped, how many questions hold each of its terms
(the rarer, the weightier), fetch the newest waiting holders of its rarest terms, keep the
best-placed candidates, and score those exactly: a weighted Dice overlap of lemmas where a
misspelt word still meets its correct form (rapidfuzz), the complaint weighing more than
its address, and numbers compared in their roles (``lemmas``: house 60 is not flat 60).
Nothing scans the hotline. On PostgreSQL all but the scoring is one statement (a trip to
the server costs more than the work on a busy machine); SQLite, in the process, takes two.
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
from shared.hotlines.lemmas import STREET, action, known, lemmas, number, ready, term
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
# An address word's weight against the complaint's words: the same house with another
# complaint is another question, the same complaint worded otherwise is not.
ADDRESS_SHARE = 0.5
# The share kept when the two share nothing but where: another complaint at that address.
ONLY_ADDRESS = 0.3
# A verb's weight against a noun's: what is wrong is named by its nouns («мусор», «снег»,
# «лифт»); the verbs vary with the asker («не вывозят», «не убирают», «завален»).
VERB_SHARE = 0.5
# Roles of numbers that place a question (a house, a flat) rather than name its subject.
PLACES = frozenset({"дом", "кв", "корп", "подъезд"})
# Words that say where, not what: weighed as an address.
PLACE_WORDS = frozenset({"дом", "двор", "подъезд", "квартира", "улица", "этаж", "город"})


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
    for found in sorted({term(w) for w in words}):
        row = {"hotline_id": hotline_id, "term": found, "question_id": question_id}
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
        {"hotline_id": hotline_id, "term": t, "question_id": qid}
        for qid, words in found
        for t in sorted({term(w) for w in words})
    ]
    if terms:
        await conn.execute(insert(question_terms), terms)


def weight(df: int) -> float:
    """A term's weight from how many questions hold it: rare terms tell most."""
    return math.log(1.0 + DF_CAP / max(df, 1))


@cache
def _terms_sql() -> Select[Any]:
    """A question's hotline and terms, each with how many questions of the hotline hold it
    (counted up to ``DF_CAP``), and its lemmas (which words are its address), or no rows
    for a question taken out of groups: one statement for any number of terms, so
    prepared once per connection."""
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
        select(own.c.hotline_id, own.c.term, count.label("n"), question_similar.c.lemmas)
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
        cast(own.c.lemmas, Text).label("lemmas"),
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
    for i, t in enumerate(terms):
        values[f"t{i}"], values[f"w{i}"] = t, weights[t]
    rows = await conn.execute(_candidates_sql(len(terms)), values)
    return {int(r.question_id): str(r.lemmas).split() for r in rows}


def _retrieval(counts: dict[str, int]) -> list[str]:
    """The terms that fetch candidates: the rarest; common ones (counted to the cap) only
    when the question has too few others, since each brings its newest holders at random."""
    ordered = sorted(counts, key=lambda t: (counts[t], t))
    rare = [t for t in ordered if counts[t] < DF_CAP]
    return (rare if len(rare) >= MIN_RARE else ordered)[:RETRIEVAL_TERMS]


@dataclass(frozen=True)
class Terms:
    """One question of a pair, as the score reads it."""

    terms: frozenset[str]  # index terms: words, and numbers in their role
    address: frozenset[str]  # of them, where: the house's street and numbers, «двор»...
    numbers: frozenset[tuple[str, str]]  # (role, digits) of numbers that name something
    streets: frozenset[str]  # the streets of its houses
    typos: tuple[str, ...]  # words the dictionary does not know

    @classmethod
    def of(cls, found: Sequence[str]) -> Terms:
        terms = frozenset(term(w) for w in found)
        numbers = frozenset(n for t in terms if (n := number(t)) is not None)
        streets = frozenset(term(w) for w in found if w.startswith(STREET))
        places = {f"{r}:{n}" for r, n in numbers if r in PLACES} | (terms & PLACE_WORDS)
        typos = tuple(t for t in terms if len(t) >= TYPO_MIN_LENGTH and not known(t))
        return cls(terms, frozenset(streets | places), numbers, streets, typos)


def _met(word: str, other: Terms) -> float:
    """1 when the other question has the word (a number: in a role that may be the
    same); a misspelling's ratio; else 0.

    Only an unknown word (to the dictionary) is taken for a misspelling, of either side:
    two real words a letter apart («давать», «сдавать») are different words.
    """
    if word in other.terms:
        return 1.0
    if (mine := number(word)) is not None:
        return 1.0 if any(_same_number(mine, theirs) for theirs in other.numbers) else 0.0
    if len(word) < TYPO_MIN_LENGTH:
        return 0.0
    pool = other.typos if known(word) else _words(other.terms)
    if not pool:
        return 0.0
    best = process.extractOne(word, pool, scorer=fuzz.ratio, score_cutoff=TYPO_RATIO)
    return best[1] / 100.0 if best is not None else 0.0


def _words(terms: frozenset[str]) -> list[str]:
    return [w for w in terms if len(w) >= TYPO_MIN_LENGTH and number(w) is None]


def _same_number(a: tuple[str, str], b: tuple[str, str]) -> bool:
    """The same digits in the same role, or one given only as «№»."""
    return a[1] == b[1] and (a[0] == b[0] or "№" in (a[0], b[0]))


def _where_share(a: Terms, b: Terms) -> float:
    """The share of the score kept for what the numbers and streets say.

    Numbers are houses, flats, routes and schools: two questions with no number in
    common, or with another number in a role both give (house 60 and house 4, flat 4 and
    flat 60), are about different things, and so are houses of two streets (Набережная 4,
    Ленина 4); one naming a number the other lacks may be.
    """
    if a.streets and b.streets and not any(_met(s, b) for s in a.streets):
        return OTHER_NUMBER
    return _numbers_share(a.numbers, b.numbers)


def _numbers_share(a: frozenset[tuple[str, str]], b: frozenset[tuple[str, str]]) -> float:
    if not a or not b:
        return ONE_NUMBER if a or b else 1.0
    if not any(_same_number(x, y) for x in a for y in b):
        return OTHER_NUMBER
    for role in {r for r, _ in a} & {r for r, _ in b} - {"№"}:
        if not {n for r, n in a if r == role} & {n for r, n in b if r == role}:
            return OTHER_NUMBER
    return 1.0


def score(a: Terms, b: Terms, weights: dict[str, float]) -> float:
    """Weighted Dice overlap of two questions' terms, misspellings forgiven, kept in part
    only when the numbers or the streets differ.

    The complaint weighs more than where it is made: an address both name counts half
    (one only one names in full: a house's trouble is not the city's), two that share
    nothing but the address keep a third, and verbs count half, since what is wrong is
    in the nouns. So the same house with another complaint stays apart.
    """
    if not a.terms or not b.terms:
        return 0.0
    address = a.address | b.address
    met = total = subject = 0.0
    for mine, other in ((a, b), (b, a)):
        for t in mine.terms:
            m = _met(t, other)
            weighed = weights.get(t, 1.0) * (VERB_SHARE if action(t) else 1.0)
            weighed *= ADDRESS_SHARE if m and t in address else 1.0
            total += weighed
            met += weighed * m
            subject += 0.0 if t in address else m
    found = (met / total if total else 0.0) * _where_share(a, b)
    return found if subject else found * ONLY_ADDRESS


# Term counts; the question's own lemmas; candidates' lemmas.
Found = tuple[dict[str, int], list[str], dict[int, list[str]]]


async def in_one_statement(conn: AsyncConnection, question_id: int) -> Found:
    """PostgreSQL's read: the question's term counts and its candidates, in one trip."""
    rows = (await conn.execute(_search_sql(), {"q": question_id})).all()
    own = [r for r in rows if r.term is not None]
    counts = {str(r.term): int(r.n) for r in own}
    theirs = {int(r.question_id): str(r.lemmas).split() for r in rows if r.term is None}
    return counts, str(own[0].lemmas).split() if own else [], theirs


async def in_two_statements(conn: AsyncConnection, question_id: int) -> Found:
    """The same read in two statements, for SQLite (no LATERAL; in the process a trip is
    cheap): the term counts, then the candidates of the retrieval terms."""
    rows = (await conn.execute(_terms_sql(), {"q": question_id})).all()
    if not rows:
        return {}, [], {}
    counts = {str(r.term): int(r.n) for r in rows}
    weights = {t: weight(n) for t, n in counts.items()}
    hotline_id = int(rows[0].hotline_id)
    theirs = await _candidates(conn, hotline_id, question_id, _retrieval(counts), weights)
    return counts, str(rows[0].lemmas).split(), theirs


async def find(
    conn: AsyncConnection, question_id: int, threshold: float, limit: int = MAX_FOUND
) -> list[Match]:
    """Waiting questions of the same hotline like this one, most alike first.

    Questions a moderator took out of groups are neither found nor given look-alikes. A
    question just stored is found too: the transaction's queued index rows are sent first.
    """
    postgres = conn.dialect.name == "postgresql"
    read = in_one_statement if postgres else in_two_statements
    counts, own, theirs = await read(conn, question_id)
    if not counts:
        return []
    await ready()  # scoring asks the dictionary which words are misspellings
    weights = {t: weight(n) for t, n in counts.items()}
    unseen = {term(w) for ws in theirs.values() for w in ws} - weights.keys()
    weights.update((t, UNSEEN_WEIGHT) for t in unseen)
    mine = Terms.of(own)
    found = [Match(q, score(mine, Terms.of(ws), weights)) for q, ws in theirs.items()]
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
