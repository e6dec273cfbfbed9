"""What one VK wall post may hold: data only, so a CLI check needs no vk_api."""

from __future__ import annotations

from bots.vk.render import WALL_LIMIT, wall_text
from shared.platform import PostLimits

# A wall post: 16,384 characters of text as VK shows it, 10 attachments, photos up to
# 50 MB (width + height at most 14,000, sides at most 20:1) and documents up to 200 MB.
# The wall's photo upload takes JPG, PNG and GIF only (VK's documentation of
# photos.getWallUploadServer); anything else fails when the post goes out.
LIMITS = PostLimits(
    title="VK",
    text_length=WALL_LIMIT,
    render=wall_text,
    photo_bytes=50 * 1024 * 1024,
    photo_sides=14000,
    photo_ratio=20,
    document_bytes=200 * 1024 * 1024,
    attachments=10,
    photo_formats=frozenset({"JPEG", "PNG", "GIF"}),
)
