"""What a desk form's button asks for: the values its ``name=…`` fields carry."""

from __future__ import annotations

from enum import StrEnum


class PostAction(StrEnum):
    """The buttons on a post's page (``POST /desk/posts/{id}/{action}``)."""

    PUBLISH = "publish"  # publish now (a failed publication is tried again)
    RESCHEDULE = "reschedule"  # move to the time in the form
    CANCEL = "cancel"  # never publish
    RETRY = "retry"  # try again an edit or a deletion a platform refused


class EditorAction(StrEnum):
    """The editor's submit buttons (``name="action"``)."""

    PREVIEW = "preview"  # show how each platform will render it; store nothing
    DRAFT = "draft"  # store it unscheduled
    SCHEDULE = "schedule"  # publish at the time given, or at once without one
    SAVE = "save"  # store the changes to an existing post


class UnknownChoice(StrEnum):
    """The answers to "did the unknown send go out?" (``name="choice"``)."""

    DELIVERED = "delivered"  # it is on the platform: mark it sent
    RESEND = "resend"  # it is not: send it again (a duplicate if it was there after all)
