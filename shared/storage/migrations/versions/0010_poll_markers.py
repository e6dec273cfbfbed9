"""poll_markers: where each update stream (a long poll's marker) was read up to

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shared.storage.schema

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_TS = shared.storage.schema.UtcDateTime


def upgrade() -> None:
    op.create_table(
        "poll_markers",
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("marker", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", _TS(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_poll_markers")),
    )


def downgrade() -> None:
    op.drop_table("poll_markers")
