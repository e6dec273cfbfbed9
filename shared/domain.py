"""Platform-neutral domain vocabulary shared by the bots, the scheduler and the CLI."""

from __future__ import annotations

from enum import StrEnum


class OutboxState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNKNOWN = "unknown"
    HELD = "held"
    CANCELLED = "cancelled"


class PostKind(StrEnum):
    PRESS_RELEASE = "press_release"
    ANNOUNCEMENT = "announcement"
    NOTICE = "notice"
    EVENT = "event"
    URGENT = "urgent"


class PostStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    PARTLY_PUBLISHED = "partly_published"
    FAILED = "failed"
    MISSED = "missed"
    CANCELLED = "cancelled"


class PublicationState(StrEnum):
    PENDING = "pending"
    PUBLISHED = "published"
    FAILED = "failed"
    UNKNOWN = "unknown"
    HELD = "held"
    DELETED = "deleted"


class HotlineStatus(StrEnum):
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"


class QuestionStatus(StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    ANSWERED = "answered"
    REJECTED = "rejected"
    BANNED = "banned"  # from a banned citizen: kept, never carded or queued


class OutboxAction(StrEnum):
    """What an outbox row asks a platform to do; the platform's sender knows how."""

    SEND = "send"
    EDIT = "edit"
    DELETE = "delete"
