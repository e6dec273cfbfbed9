"""What one MAX channel post may hold: data only, so a CLI check needs no maxapi."""

from __future__ import annotations

from bots.max.render import chunks
from shared.platform import PostLimits
from shared.richtext import Document


def shown_text(doc: Document) -> str:
    """A post's text as the channel shows it, for the limits check: its HTML messages."""
    return "\n\n".join(chunks(doc))


# A channel post: its text is split into messages of 4,000 characters, so it has no length
# limit; photos and documents go with the first message (MAX takes files up to 4 GB; its
# Bot API documents no count limit, 10 keeps a post readable, as on VK). An image upload
# must be one MAX shows: JPEG, PNG, GIF or WebP (the simulator refuses others as MAX does).
LIMITS = PostLimits(
    title="MAX",
    text_length=None,
    render=shown_text,
    photo_bytes=50 * 1024 * 1024,
    document_bytes=200 * 1024 * 1024,
    attachments=10,
    photo_formats=frozenset({"JPEG", "PNG", "GIF", "WEBP"}),
)
