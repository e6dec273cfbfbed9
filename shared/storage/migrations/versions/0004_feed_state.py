"""website feeds: conditional-GET validators per feed URL, imported items per feed

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 11:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shared.storage.schema

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "feed_sources",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("url", sa.String(length=1000), nullable=False),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("checked_at", shared.storage.schema.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_sources")),
        sa.UniqueConstraint("url", name=op.f("uq_feed_sources_url")),
    )
    op.create_table(
        "feed_items",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("feed_id", _ID, nullable=False),
        sa.Column("item_key", sa.String(length=512), nullable=False),
        sa.Column("post_id", _ID, nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("failed_photos", sa.JSON(), nullable=False),
        sa.Column("created_at", shared.storage.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", shared.storage.schema.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["feed_id"],
            ["feed_sources.id"],
            name=op.f("fk_feed_items_feed_id_feed_sources"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["posts.id"],
            name=op.f("fk_feed_items_post_id_posts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_items")),
        sa.UniqueConstraint("feed_id", "item_key", name=op.f("uq_feed_items_feed_id_item_key")),
    )
    with op.batch_alter_table("feed_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feed_items_post_id"), ["post_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("feed_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feed_items_post_id"))
    op.drop_table("feed_items")
    op.drop_table("feed_sources")
