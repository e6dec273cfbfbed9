"""What one Telegram channel post may hold: data only, so a CLI check needs no aiogram."""

from __future__ import annotations

from shared.platform import PostLimits

# The Bot API's upload limits (a longer text is split into messages, so it has none):
# 10 MB for a photo, width + height at most 10,000 and sides at most 20:1; 50 MB for any
# other file; a bigger request gets HTTP 413. A photo must be an image Telegram decodes:
# JPEG, PNG, GIF (its first frame), WebP or BMP; a TIFF gets IMAGE_PROCESS_FAILED (send a
# scan as a document instead).
LIMITS = PostLimits(
    title="Telegram",
    photo_bytes=10 * 1024 * 1024,
    photo_sides=10000,
    photo_ratio=20,
    document_bytes=50 * 1024 * 1024,
    photo_formats=frozenset({"JPEG", "PNG", "GIF", "WEBP", "BMP"}),
)
