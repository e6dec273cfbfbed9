"""staff desk: one-time login links and sessions

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 11:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shared.storage.schema

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "desk_login_links",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("created_at", shared.storage.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", shared.storage.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("used_at", shared.storage.schema.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_desk_login_links")),
    )
    with op.batch_alter_table("desk_login_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_desk_login_links_user_id_created_at"),
            ["user_id", "created_at"],
            unique=False,
        )
    op.create_table(
        "desk_sessions",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("created_at", shared.storage.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", shared.storage.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", shared.storage.schema.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_desk_sessions")),
    )


def downgrade() -> None:
    op.drop_table("desk_sessions")
    with op.batch_alter_table("desk_login_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_desk_login_links_user_id_created_at"))
    op.drop_table("desk_login_links")
