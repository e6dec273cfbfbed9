"""What a platform package under ``bots/`` offers the application: a neutral contract."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from shared.outbox.dispatcher import Sender
from shared.richtext import Document, to_plain


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    what: str
    detail: str = ""
    skipped: bool = False  # the platform is not configured: nothing to prove, nothing wrong


class PlatformRuntime(Protocol):
    """A running platform: receives updates into ``shared/``, sends the outbox's rows."""

    name: str
    sender: Sender

    async def start(self) -> None:
        """Begin receiving updates (returns at once; the work runs in the background)."""

    async def stop(self) -> None:
        """Stop receiving updates; sends in flight are the outbox's to finish."""

    async def close(self) -> None:
        """Release connections and threads."""


class LimitKind(StrEnum):
    """Which of a platform's limits a post would break."""

    TEXT_LENGTH = "text_length"  # characters of one post's text, as the platform shows it
    PHOTO_SIZE = "photo_size"  # bytes of one uploaded photo
    PHOTO_SIDES = "photo_sides"  # width + height of one photo, in pixels
    PHOTO_RATIO = "photo_ratio"  # how many times one photo's longer side exceeds the shorter
    DOCUMENT_SIZE = "document_size"  # bytes of one uploaded document
    ATTACHMENTS = "attachments"  # photos and documents in one post
    PHOTO_FORMAT = "photo_format"  # a photo in a format the platform does not take (TIFF, BMP)


@dataclass(frozen=True)
class PostLimits:
    """What one platform accepts in one post, declared by the platform package.

    A post is checked against the limits of every platform it goes to before anything is
    stored: a limit found only at publication time leaves a post half-published. ``None``
    means the platform has no such limit (Telegram splits a long text into messages).
    """

    title: str = ""  # the platform's name as people read it (the preview's toggles)
    text_length: int | None = None
    render: Callable[[Document], str] = to_plain  # the text as the platform shows it
    photo_bytes: int | None = None
    photo_sides: int | None = None
    photo_ratio: int | None = None
    document_bytes: int | None = None
    attachments: int | None = None
    # The photo formats the platform takes, as Pillow names them ("JPEG", "PNG"); None: any.
    photo_formats: frozenset[str] | None = None
