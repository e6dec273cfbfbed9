"""Intake's batching: its group commit (shared with the outbox) and a per-transaction cache."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from shared.storage.groupcommit import GroupCommit, Prepare, Work

__all__ = ["GroupCommit", "Prepare", "Work", "tx_cache"]


def tx_cache(conn: AsyncConnection) -> dict[str, Any]:
    """A scratch dict that lives as long as the connection's current transaction.

    Within one (group-committed) transaction the open hotlines and the backlog don't
    change behind our back: the writer lock is ours. So they are read once per batch.
    """
    sync = conn.sync_connection
    tx = sync.get_transaction() if sync is not None else None
    current = conn.info.get("glashatai_tx_cache")
    if current is None or current[0] is not tx:
        current = (tx, {})
        conn.info["glashatai_tx_cache"] = current
    cache: dict[str, Any] = current[1]
    return cache
