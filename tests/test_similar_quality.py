"""Similar questions on the labelled set (tests/data): the quality floor of issue 13.

A correctness check, not a timing: at the default threshold the pairs the search names
"same question" are right at least 90% of the time and find at least 70% of the true pairs.
"""

from __future__ import annotations

from collections import Counter

from config import Settings
from shared.hotlines.lemmas import lemmas
from shared.storage.engine import Database
from tests.similar_labelled import load, quality, scored_pairs, store

PRECISION_FLOOR = 0.9
RECALL_FLOOR = 0.7


def test_the_labelled_set_is_big_and_grouped() -> None:
    rows = load()
    sizes = Counter(r.group for r in rows)
    assert len(rows) >= 300
    assert len({r.text for r in rows}) == len(rows)
    assert sum(1 for n in sizes.values() if n >= 4) >= 30


def test_lemmas_meet_word_forms_ordinals_and_drop_noise() -> None:
    assert lemmas("Батареи, дороги") == lemmas("батарей дорогу") == ["батарея", "дорога"]
    assert lemmas("в пятой школе") == ["школа:5", "школа"]  # the number in its role
    assert lemmas("Когда включат отопление?") == ["включить", "отопление"]


async def test_quality_floor_on_the_labelled_set(db: Database) -> None:
    groups = await store(db, load())
    pairs = await scored_pairs(db, sorted(groups))
    found = quality(groups, pairs, Settings().hotline.similar_threshold)
    assert found.precision >= PRECISION_FLOOR, found
    assert found.recall >= RECALL_FLOOR, found
