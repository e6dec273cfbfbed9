"""answers.reply_message_id: the moderator's message in the admin chat that sent an answer

An edit of that message is sent to the citizen as a correction of what it sent. Until now
the match was read from the audit log's ``reply`` detail; the answer now keeps it. Answers
whose audit entries name their reply get it filled in from there.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 10:00:00
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_ANSWER_ACTIONS = ("question.answer", "question.correct")


def upgrade() -> None:
    with op.batch_alter_table("answers") as batch:
        batch.add_column(sa.Column("reply_message_id", sa.BigInteger(), nullable=True))
    _fill_from_audit()


def _fill_from_audit() -> None:
    bind = op.get_bind()
    audit = sa.table("audit_log", sa.column("action", sa.String), sa.column("details", sa.JSON))
    answers = sa.table(
        "answers", sa.column("id", sa.BigInteger), sa.column("reply_message_id", sa.BigInteger)
    )
    rows = bind.execute(sa.select(audit.c.details).where(audit.c.action.in_(_ANSWER_ACTIONS)))
    for (details,) in rows.all():
        found = _details(details)
        answer_id, reply = found.get("answer_id"), found.get("reply")
        if isinstance(answer_id, int) and isinstance(reply, int):
            bind.execute(
                answers.update().where(answers.c.id == answer_id).values(reply_message_id=reply)
            )


def _details(value: Any) -> dict[str, Any]:
    """The JSON column as a dict: SQLite may hand back its text."""
    if isinstance(value, str):
        value = json.loads(value)
    return value if isinstance(value, dict) else {}


def downgrade() -> None:
    with op.batch_alter_table("answers") as batch:
        batch.drop_column("reply_message_id")
