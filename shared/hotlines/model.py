"""What the platform adapters hand to the hotline core: neutral, already downloaded."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from config.settings import ADMIN_PLATFORM
from shared.storage.media import NewFile

# Outbox priorities in the admin chat and towards citizens: a moderator's own replies go
# ahead of the card backlog, which waits its turn at 20 messages a minute — and ahead of
# the cards' edits too: a group answer of eight edits eight cards, and the admin chat's
# 20 a minute would keep a /queue behind them for most of a minute.
PRIORITY_CARD = 0
PRIORITY_SUMMARY = 5
PRIORITY_CITIZEN = 10
PRIORITY_CARD_EDIT = 20  # a card brought up to date (answered, taken, grouped)
PRIORITY_MODERATOR = 30  # a reply to a moderator's command or reply, a notice to them

NameLookup = Callable[[], Awaitable[str | None]]


# A photo or document a person sent, with its bytes and the platform's own reference.
Attachment = NewFile


@dataclass(frozen=True)
class Incoming:
    """A citizen's message, as every platform describes it."""

    platform: str
    user_id: str
    peer: str
    text: str = ""
    attachments: tuple[Attachment, ...] = ()
    unsupported: bool = False
    start: bool = False
    album: str | None = None
    name: NameLookup | None = None
    known_name: str | None = None  # when the platform sends it with every message
    # What the link the citizen came by carried (a hotline's deep link): a Telegram
    # ``/start`` argument, a VK message's ``ref``, a MAX ``bot_started`` payload.
    start_payload: str | None = None
    # The platform's id of this message, unique per peer (None when it has none): a message
    # delivered twice is taken once (``shared.hotlines.replays``).
    message_id: str | None = None
    # Files that came with the message but could not be taken (too big, not downloadable),
    # by name: the citizen is told, rather than left to think the office has them.
    left_out: tuple[str, ...] = ()
    # The text is long enough that the citizen's app may have cut a longer one here and
    # sends the rest as the next message(s) (``may_continue``): those join this question.
    may_continue: bool = False


def may_continue(text: str, longest: int) -> bool:
    """May a text of this length be the first part of a longer one that the citizen's app
    cut at the platform's longest message (``longest`` characters)? The apps cut at a
    paragraph, line or word break in the second half of the allowed length."""
    return len(text) > longest // 2


@dataclass(frozen=True)
class Moderator:
    """A moderator acting in the admin chat, as the platform adapter identified them:
    ``(platform, id)`` like a citizen, never a code ``shared/`` would have to parse."""

    id: int  # the platform's id of the person
    name: str
    actor: str  # who did it, as the audit log names them (the adapter builds it)
    platform: str = ADMIN_PLATFORM  # the platform of the admin chat they act in
