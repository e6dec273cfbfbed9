"""The labelled set of hotline questions (tests/data) loaded into a database, and the
precision and recall of "same group" pairs that ``similar.find`` gives on it.

Used by the quality test and by ``bench/bench_similar.py``; the search runs through the
real index, as on a card.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from shared.clock import utcnow
from shared.hotlines import campaigns, similar
from shared.hotlines import questions as repo
from shared.storage import citizens
from shared.storage.engine import Database

DATA = Path(__file__).parent / "data" / "similar_questions.txt"

Pair = tuple[int, int]


@dataclass(frozen=True)
class Labelled:
    group: str
    text: str


@dataclass(frozen=True)
class Quality:
    threshold: float
    precision: float
    recall: float
    found: int  # pairs the search named similar
    right: int  # of them, pairs of the same group
    truth: int  # pairs of the same group in the set


def load(path: Path = DATA) -> list[Labelled]:
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            group, text = line.split("|", 1)
            found.append(Labelled(group.strip(), text.strip()))
    return found


async def store(db: Database, rows: list[Labelled]) -> dict[int, str]:
    """One hotline holding every question, all waiting, each by its own citizen."""
    now = utcnow()
    groups: dict[int, str] = {}
    async with db.write() as conn:
        hotline = await campaigns.create(
            conn,
            topic="Городское хозяйство",
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(hours=1),
            created_by="test",
        )
        for n, row in enumerate(rows):
            citizen = await citizens.get_or_create(conn, "vk", str(10_000 + n))
            qid = await repo.add(conn, citizen_id=citizen.id, hotline_id=hotline.id, text=row.text)
            await similar.index(conn, qid, hotline.id, row.text)
            groups[qid] = row.group
    return groups


async def scored_pairs(db: Database, ids: list[int]) -> dict[Pair, float]:
    """Every pair the search names at any score, with its score."""
    pairs: dict[Pair, float] = {}
    async with db.read() as conn:
        for qid in ids:
            for match in await similar.find(conn, qid, threshold=0.0):
                pair = (min(qid, match.question_id), max(qid, match.question_id))
                pairs[pair] = max(pairs.get(pair, 0.0), match.score)
    return pairs


def quality(groups: dict[int, str], pairs: dict[Pair, float], threshold: float) -> Quality:
    truth = {(a, b) for a, b in itertools.combinations(sorted(groups), 2) if groups[a] == groups[b]}
    found = {p for p, s in pairs.items() if s >= threshold}
    right = len(found & truth)
    return Quality(
        threshold=threshold,
        precision=right / len(found) if found else 1.0,
        recall=right / len(truth) if truth else 1.0,
        found=len(found),
        right=right,
        truth=len(truth),
    )
