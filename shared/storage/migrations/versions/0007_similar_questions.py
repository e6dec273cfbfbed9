"""similar questions: lemma terms of each question (an inverted index per hotline) and the
question's grouping state

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 12:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "question_terms",
        sa.Column("hotline_id", _ID, nullable=False),
        sa.Column("term", sa.String(length=64), nullable=False),
        sa.Column("question_id", _ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["hotline_id"],
            ["hotlines.id"],
            name=op.f("fk_question_terms_hotline_id_hotlines"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
            name=op.f("fk_question_terms_question_id_questions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "hotline_id", "term", "question_id", name=op.f("pk_question_terms")
        ),
    )
    with op.batch_alter_table("question_terms", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_question_terms_question_id"), ["question_id"], unique=False
        )
    op.create_table(
        "question_similar",
        sa.Column("question_id", _ID, nullable=False),
        sa.Column("lemmas", sa.Text(), nullable=False),
        sa.Column("apart", sa.Boolean(), nullable=False),
        sa.Column("group_ids", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
            name=op.f("fk_question_similar_question_id_questions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("question_id", name=op.f("pk_question_similar")),
    )


def downgrade() -> None:
    op.drop_table("question_similar")
    with op.batch_alter_table("question_terms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_question_terms_question_id"))
    op.drop_table("question_terms")
