"""What the outbox stores: a send asked for, and the row as the dispatcher sees it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.domain import OutboxAction, OutboxState
from shared.outbox.lanes import Lane


@dataclass(frozen=True)
class OutboxMessage:
    """A send to make. ``payload`` is neutral JSON that the platform's sender renders.

    ``lane`` says who waits for it (:class:`Lane`); ``priority`` orders it within its lane.
    ``resumes``: the steps an earlier row of the same send finished before it failed
    (``store.steps_done``), which this row skips rather than makes again.
    """

    platform: str
    action: OutboxAction
    destination: str
    payload: dict[str, Any]
    priority: int = 0
    dedupe_key: str | None = None
    ref_type: str | None = None
    ref_id: int | None = None
    citizen_id: int | None = None
    not_before: datetime | None = None
    lane: Lane = Lane.INTERACTIVE
    resumes: dict[str, Any] = field(default_factory=dict)


@dataclass
class OutboxItem:
    id: int
    platform: str
    action: OutboxAction
    destination: str
    payload: dict[str, Any]
    state: OutboxState
    priority: int
    attempts: int
    next_attempt_at: datetime
    progress: dict[str, Any] = field(default_factory=dict)
    result: dict[str, Any] | None = None
    error: str | None = None
    dedupe_key: str | None = None
    ref_type: str | None = None
    ref_id: int | None = None
    citizen_id: int | None = None
    created_at: datetime | None = None
    sent_at: datetime | None = None
    lane: Lane = Lane.INTERACTIVE  # ``priority`` is the priority within this lane

    @classmethod
    def from_row(cls, row: Any) -> OutboxItem:
        m = row._mapping
        lane, priority = Lane.of(m["priority"])
        return cls(
            id=m["id"],
            platform=m["platform"],
            action=OutboxAction(m["action"]),
            destination=m["destination"],
            payload=dict(m["payload"] or {}),
            state=OutboxState(m["state"]),
            priority=priority,
            attempts=m["attempts"],
            next_attempt_at=m["next_attempt_at"],
            progress=dict(m["progress"] or {}),
            result=m["result"],
            error=m["error"],
            dedupe_key=m["dedupe_key"],
            ref_type=m["ref_type"],
            ref_id=m["ref_id"],
            citizen_id=m["citizen_id"],
            created_at=m["created_at"],
            sent_at=m["sent_at"],
            lane=lane,
        )
