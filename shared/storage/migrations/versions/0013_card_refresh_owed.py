"""card_refresh_owed: a card's refresh asked for before the card's send was recorded

A moderator's action (or an answer's delivery) refreshes a question's cards by editing
their messages. A card whose send the platform has accepted but whose outcome is not yet
written has no known messages: its refresh was dropped and the card kept its old text.
Such a refresh is now written down here and made when the card's outcome is recorded.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 04:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "card_refresh_owed",
        sa.Column("card_outbox_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("question_id", _ID, nullable=False),
        sa.Column("reasons", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
            name=op.f("fk_card_refresh_owed_question_id_questions"),
        ),
        sa.PrimaryKeyConstraint("card_outbox_id", name=op.f("pk_card_refresh_owed")),
    )


def downgrade() -> None:
    op.drop_table("card_refresh_owed")
