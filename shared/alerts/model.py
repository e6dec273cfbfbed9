"""The alerts' vocabulary: states, outbox references and button actions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class AlertState(StrEnum):
    """Where an alert is (``alerts.state``)."""

    ENQUEUEING = "enqueueing"  # its notices are being queued, batch by batch, from ``cursor``
    SENDING = "sending"  # every notice is queued; the outbox is delivering them
    DONE = "done"  # nothing left to send; the final summary went to the admin chat
    CANCELLED = "cancelled"  # a moderator cancelled it: pending notices were dropped


class AlertRef(StrEnum):
    """``outbox.ref_type`` of what alerts send; ``ref_id`` is the alert's id."""

    NOTICE = "alert"  # a notice to one subscriber
    STATUS = "alert.status"  # the live status message in the admin chat, and its edits
    SUMMARY = "alert.summary"  # the final summary, and answers to moderators about an alert
    CITIZEN = "alert.citizen"  # a citizen's subscription menu and its confirmations


class Press(StrEnum):
    """Buttons of the alerts feature: the server-side action their tokens carry."""

    TOGGLE = "alerts.toggle"  # a topic in a citizen's menu (data "topic", and "want")
    UNSUBSCRIBE = "alerts.unsubscribe"  # «Отписаться» under a notice (data "topic")
    PAGE = "alerts.page"  # «Ещё темы» or «Назад» in a long topics menu (data "page")
    CONFIRM = "alerts.confirm"  # a moderator confirmed the previewed alert
    DISCARD = "alerts.discard"  # a moderator dropped the previewed alert


class Want(StrEnum):
    """What a menu's topic button asks for (``Press.TOGGLE``'s data "want"), fixed when the
    menu is built: a double tap, or a button of an old menu, then does what its label said
    instead of flipping the topic back. Tokens issued before it carry none and toggle."""

    SUBSCRIBE = "subscribe"  # the label showed the topic off: pressing it switches it on
    UNSUBSCRIBE = "unsubscribe"  # the label showed it on (✓): pressing it switches it off


@dataclass(frozen=True)
class Alert:
    id: int
    topic: str
    text: str
    media: list[int]
    urgent: bool
    state: AlertState
    cursor: int
    queued: int
    skipped: int
    blocked: int
    post_id: int | None
    status_outbox_id: int | None
    status_shown: str | None
    status_at: datetime | None
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def from_row(cls, row: Any) -> Alert:
        m = row._mapping
        return cls(
            id=int(m["id"]),
            topic=m["topic"],
            text=m["text"],
            media=[int(i) for i in m["media"] or []],
            urgent=bool(m["urgent"]),
            state=AlertState(m["state"]),
            cursor=int(m["cursor"]),
            queued=int(m["queued"]),
            skipped=int(m["skipped"]),
            blocked=int(m["blocked"]),
            post_id=m["post_id"],
            status_outbox_id=m["status_outbox_id"],
            status_shown=m["status_shown"],
            status_at=m["status_at"],
            created_at=m["created_at"],
            finished_at=m["finished_at"],
        )
