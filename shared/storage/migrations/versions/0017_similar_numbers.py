"""similar questions: numbers kept in their roles, the waiting questions indexed again

The index now writes a number with the role its words give it (``дом:60``, ``кв:4``,
``школа:25``; number words as digits) and marks a house's street; questions indexed before
kept bare numbers, which the score reads as counts, so an old «д 60, кв 4» would still be
grouped with a new «д 4, кв 60». The questions still waiting for an answer are indexed
again with today's words; answered ones are never searched for again. A question's group
(``group_ids``) and its being taken out of groups (``apart``) are kept.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_WAITING = ("new", "assigned")
_BATCH = 500

_questions = sa.table(
    "questions",
    sa.column("id", sa.BigInteger),
    sa.column("hotline_id", sa.BigInteger),
    sa.column("text", sa.Text),
    sa.column("status", sa.String),
)
_similar = sa.table(
    "question_similar", sa.column("question_id", sa.BigInteger), sa.column("lemmas", sa.Text)
)
_terms = sa.table(
    "question_terms",
    sa.column("hotline_id", sa.BigInteger),
    sa.column("term", sa.String),
    sa.column("question_id", sa.BigInteger),
)


def upgrade() -> None:
    bind = op.get_bind()
    indexed = (
        sa.select(_questions.c.id, _questions.c.hotline_id, _questions.c.text)
        .join(_similar, _similar.c.question_id == _questions.c.id)
        .where(_questions.c.status.in_(_WAITING), _questions.c.hotline_id.is_not(None))
        .order_by(_questions.c.id)
    )
    rows = bind.execute(indexed).all()
    for start in range(0, len(rows), _BATCH):
        _index_again(bind, rows[start : start + _BATCH])


def _index_again(bind: sa.Connection, rows: Sequence[Any]) -> None:
    # The app's own lemmatiser: the index must be what intake writes today.
    from shared.hotlines.lemmas import lemmas, term

    ids = [row.id for row in rows]
    bind.execute(_terms.delete().where(_terms.c.question_id.in_(ids)))
    terms = []
    for row in rows:
        question_id, hotline_id, text = row.id, row.hotline_id, row.text
        words = lemmas(text)
        bind.execute(
            _similar.update()
            .where(_similar.c.question_id == question_id)
            .values(lemmas=" ".join(words))
        )
        terms += [
            {"hotline_id": hotline_id, "term": found, "question_id": question_id}
            for found in sorted({term(w) for w in words})
        ]
    if terms:
        bind.execute(_terms.insert(), terms)


def downgrade() -> None:
    """Nothing to undo: the older code reads the new terms as words."""
