"""The outbox's hot queries read its partial state indexes, never the whole table.

The state indexes hold only pending and sending rows (migration 0012); a query uses one
only if its WHERE names the state as the index does. A query that no longer did would
still be right, just a scan of every row ever sent: this asks SQLite's planner.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.dialects import sqlite

from shared.domain import OutboxState
from shared.outbox import store
from shared.outbox.health import WAITING
from shared.storage.engine import Database
from shared.storage.schema import outbox

QUERIES = {
    "best level due": (store._TOP_LEVEL, "ix_outbox_pending_priority_id"),
    "rows of a level": (store._LEVEL_ROWS, "ix_outbox_pending_priority_id"),
    "next due time": (
        select(func.min(outbox.c.next_attempt_at)).where(
            store.state_is(OutboxState.PENDING), outbox.c.platform.in_(["telegram"])
        ),
        "ix_outbox_pending_next_attempt_at",
    ),
    "rows left sending": (
        select(outbox).where(store.state_is(OutboxState.SENDING)).order_by(outbox.c.id),
        "ix_outbox_sending_id",
    ),
}


def plan(db_file: Path, statement: object) -> str:
    sql = str(statement.compile(dialect=sqlite.dialect()))  # type: ignore[attr-defined]
    sql = re.sub(r"\(__\[POSTCOMPILE_\w+\]\)", "(?)", sql)
    with sqlite3.connect(db_file) as raw:
        rows = raw.execute("EXPLAIN QUERY PLAN " + sql, ["x"] * sql.count("?")).fetchall()
    return " / ".join(str(row[3]) for row in rows)


@pytest.mark.parametrize("name", sorted(QUERIES))
async def test_the_query_reads_its_partial_index(sqlite_db: Database, name: str) -> None:
    statement, index = QUERIES[name]
    found = plan(Path(sqlite_db.engine.url.database or ""), statement)
    assert f"USING INDEX {index}" in found, found
    assert "SCAN outbox" not in found or "USING INDEX" in found, found


def test_every_waiting_state_has_an_index() -> None:
    names = {i.name for i in outbox.indexes}
    for state in WAITING:
        assert any(str(n).startswith(f"ix_outbox_{state.value}_") for n in names), state
