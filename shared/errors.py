"""The domain's error tree. Each bot translates these to Russian text in one place."""

from __future__ import annotations


class GlashataiError(Exception):
    """Base of every error the product raises on purpose."""


class NotFound(GlashataiError):
    """The thing asked for does not exist (a post, a hotline, a question)."""


class InvalidInput(GlashataiError):
    """Input from a person (CLI, moderator, citizen) that can't be accepted as it is."""


class NotAllowed(GlashataiError):
    """The actor may not do this (not a moderator, banned, wrong state)."""


class Conflict(GlashataiError):
    """Somebody else got there first (a question already answered, a post already sent)."""


class Refused(Conflict):
    """The record's state does not allow it, and the message says why in the person's
    words (a catalogue text): shown as it is, not as "somebody got there first"."""


class ChangedMeanwhile(Conflict):
    """The record changed since the person saw it (a colleague's edit): nothing was done,
    rather than their older copy silently replacing the newer one."""


class PlatformNotConfigured(InvalidInput):
    """A platform was asked for that has no credentials in the settings."""
