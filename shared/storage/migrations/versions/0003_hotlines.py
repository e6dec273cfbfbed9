"""hotline card messages, hotline drafts, the assignee's name

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 12:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shared.storage.schema

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assigned_name", sa.Text(), nullable=True))
    op.create_table(
        "card_messages",
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "question_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("card_outbox_id", sa.BigInteger(), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
            name=op.f("fk_card_messages_question_id_questions"),
        ),
        sa.PrimaryKeyConstraint("chat_id", "message_id", name=op.f("pk_card_messages")),
    )
    with op.batch_alter_table("card_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_card_messages_question_id"), ["question_id"], unique=False
        )
    op.create_table(
        "hotline_drafts",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("updated_at", shared.storage.schema.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_hotline_drafts")),
    )


def downgrade() -> None:
    op.drop_table("hotline_drafts")
    with op.batch_alter_table("card_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_card_messages_question_id"))
    op.drop_table("card_messages")
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.drop_column("assigned_name")
