"""Platform-neutral domain vocabulary shared by the bots, the scheduler and the CLI."""

from __future__ import annotations

from enum import StrEnum


class OutboxState(StrEnum):
    """Where an outbox row is on its way to a platform."""

    PENDING = "pending"
    """Waiting to be sent: now, or at its ``next_attempt_at`` after a retryable failure."""
    SENDING = "sending"
    """Claimed by a dispatcher; its step journal says whether a call is out."""
    SENT = "sent"
    """The platform accepted every call; the row's result says what it made."""
    FAILED = "failed"
    """The platform refused it for good, or the attempts ran out: shown to the office."""
    UNKNOWN = "unknown"
    """A call was out when the answer was lost (a timeout, a crash): the platform may have
    it. Shown to a person and never sent again by itself."""
    HELD = "held"
    """Parked until a person acts (a VK captcha); then it goes on from where it was."""
    CANCELLED = "cancelled"
    """Withdrawn before it went out (a cancelled alert, a citizen's deleted data)."""


class MediaKind(StrEnum):
    """How a stored file is shown: platforms send the two differently."""

    PHOTO = "photo"
    """An image shown inline (Telegram ``sendPhoto``, a VK photo, a MAX image)."""
    DOCUMENT = "document"
    """Any other file, sent as an attachment to download (a .docx, a PDF)."""


class PostKind(StrEnum):
    """What a post is, as the office files it; urgent ones skip quiet hours."""

    PRESS_RELEASE = "press_release"
    """A press release of the administration."""
    ANNOUNCEMENT = "announcement"
    """An announcement (a hotline's opening, an alert also posted)."""
    NOTICE = "notice"
    """A notice to residents (works, closures, schedules)."""
    EVENT = "event"
    """An event in town."""
    URGENT = "urgent"
    """A civil-defence or emergency warning: published at once, whatever the hour."""


class PostStatus(StrEnum):
    """A post's life, across all its platforms."""

    DRAFT = "draft"
    """Being written; not scheduled."""
    SCHEDULED = "scheduled"
    """Waiting for its time (or for quiet hours to end)."""
    PUBLISHING = "publishing"
    """Its sends are queued and not all settled: one held, or of unknown outcome, keeps it
    here until a person settles it."""
    PUBLISHED = "published"
    """Out on every platform it was meant for."""
    PARTLY_PUBLISHED = "partly_published"
    """Out on some platforms, failed on the others."""
    FAILED = "failed"
    """Failed on every platform."""
    MISSED = "missed"
    """Its time passed while the app was down, by more than the missed window: the admin
    chat is asked whether to publish it now."""
    CANCELLED = "cancelled"
    """Withdrawn before it was published."""


class PublicationState(StrEnum):
    """A post on one platform."""

    PENDING = "pending"
    """Its send is queued."""
    PUBLISHED = "published"
    """On the platform; its messages and link are stored."""
    FAILED = "failed"
    """The platform refused it, or the attempts ran out."""
    UNKNOWN = "unknown"
    """Its send's outcome is unknown: a person checks the channel."""
    HELD = "held"
    """Its send waits for a person (a VK captcha)."""
    DELETED = "deleted"
    """It was published and then deleted from the platform by the office."""
    CANCELLED = "cancelled"
    """The post was withdrawn before this platform's send went out: it never will."""


class HotlineStatus(StrEnum):
    """A hotline's time: citizens' questions count as its own only while it is open."""

    SCHEDULED = "scheduled"
    """Announced for a later time; not taking questions yet."""
    OPEN = "open"
    """Taking questions."""
    CLOSED = "closed"
    """Over: answers may still be given, then the digest is made."""


class QuestionStatus(StrEnum):
    """A citizen's question on its way through moderation."""

    NEW = "new"
    """Waiting for a moderator."""
    ASSIGNED = "assigned"
    """A moderator took it."""
    ANSWERED = "answered"
    """Answered; the answer is sent to the citizen (later replies are corrections)."""
    REJECTED = "rejected"
    """Rejected with a reason the citizen is told."""
    BANNED = "banned"
    """From a banned citizen: kept, never carded or queued."""


class OutboxAction(StrEnum):
    """What an outbox row asks a platform to do; the platform's sender knows how."""

    SEND = "send"
    """Send a new message (or a post's messages)."""
    EDIT = "edit"
    """Change messages already sent, in place, to the payload's text."""
    DELETE = "delete"
    """Delete messages already sent."""
