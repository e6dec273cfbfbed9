"""deadlines and retention: a hotline's own answer days and when its personal data was
retired; the reminders already made (one per kind and office day)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 12:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shared.storage.schema

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("hotlines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("answer_days", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("retired_at", shared.storage.schema.UtcDateTime(timezone=True), nullable=True)
        )
    op.create_table(
        "reminders",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("outbox_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", shared.storage.schema.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "day", name=op.f("pk_reminders")),
    )


def downgrade() -> None:
    op.drop_table("reminders")
    with op.batch_alter_table("hotlines", schema=None) as batch_op:
        batch_op.drop_column("retired_at")
        batch_op.drop_column("answer_days")
