"""outbox: state indexes hold only pending and sending rows

The two indexes on ``state`` held every row, sent ones included: a claim and an outcome
each moved the row's entries in both (four index changes per message, in indexes that
grew with every message ever sent). Partial indexes hold only the rows waiting to go
(by priority and id for the claim, by due time for the dispatcher's sleep) and those being
sent (for the restart): a sent row leaves them. SQLite and PostgreSQL both have them.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 18:30:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_PENDING = "state = 'pending'"
_SENDING = "state = 'sending'"


def _only(condition: str) -> dict[str, Any]:
    return {"sqlite_where": sa.text(condition), "postgresql_where": sa.text(condition)}


def upgrade() -> None:
    op.drop_index("ix_outbox_state_next_attempt_at", table_name="outbox")
    op.drop_index("ix_outbox_state_priority_id", table_name="outbox")
    op.create_index(
        "ix_outbox_pending_priority_id", "outbox", ["priority", "id"], **_only(_PENDING)
    )
    op.create_index(
        "ix_outbox_pending_next_attempt_at", "outbox", ["next_attempt_at"], **_only(_PENDING)
    )
    op.create_index("ix_outbox_sending_id", "outbox", ["id"], **_only(_SENDING))


def downgrade() -> None:
    op.drop_index("ix_outbox_sending_id", table_name="outbox")
    op.drop_index("ix_outbox_pending_next_attempt_at", table_name="outbox")
    op.drop_index("ix_outbox_pending_priority_id", table_name="outbox")
    op.create_index("ix_outbox_state_priority_id", "outbox", ["state", "priority", "id"])
    op.create_index("ix_outbox_state_next_attempt_at", "outbox", ["state", "next_attempt_at"])
