"""incoming_seen: citizens' messages already taken, by the platform's id of each

A platform may deliver the same message twice (a VK long poll replayed, a MAX batch read
again after a restart, a Telegram update whose offset a crash left unconfirmed). The id of
each message that stored or extended a question is kept here, in the same transaction, so
a message seen again is skipped. Rows older than a week are purged by the retention job.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shared.storage.schema

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_TS = shared.storage.schema.UtcDateTime


def upgrade() -> None:
    op.create_table(
        "incoming_seen",
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("peer", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("seen_at", _TS(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("platform", "peer", "message_id", name=op.f("pk_incoming_seen")),
    )


def downgrade() -> None:
    op.drop_table("incoming_seen")
