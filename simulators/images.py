"""Image bytes every fake deals in: telling an image by its magic, and making a real PNG.

The platforms refuse an "image" that is not one, so the fakes sniff what they are sent,
and the images they hand out themselves (test photos, captchas, avatars) are valid PNGs.
"""

from __future__ import annotations

import struct
import zlib

IMAGE_TYPES: dict[str, str] = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# PNG colour types (the IHDR field) the fakes draw in
GREY = 0
RGB = 2


def sniff_image(data: bytes) -> str | None:
    """The image format by magic bytes (``jpg``/``png``/``gif``/``webp``) or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(PNG_SIGNATURE):
        return "png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def content_type_of(data: bytes, ext: str = "") -> str:
    """A Content-Type for stored bytes."""
    kind = sniff_image(data)
    if kind:
        return IMAGE_TYPES[kind]
    if data.startswith(b"OggS"):
        return "audio/ogg"
    if ext == "pdf" or data.startswith(b"%PDF"):
        return "application/pdf"
    return "application/octet-stream"


def encode_png(width: int, height: int, colour: int, rows: bytes) -> bytes:
    """A PNG of 8-bit ``colour`` pixels; ``rows`` are the scanlines, each with its filter byte."""

    def chunk(tag: bytes, payload: bytes) -> bytes:
        crc = zlib.crc32(tag + payload) & 0xFFFFFFFF
        return struct.pack(">I", len(payload)) + tag + payload + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)
    return (
        PNG_SIGNATURE
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def png_bytes(width: int = 130, height: int = 50, seed: int = 0) -> bytes:
    """A small valid grayscale PNG with a stripe pattern (captchas, avatars)."""
    rows = b"".join(
        b"\x00" + bytes(((x + y + seed) // 7 % 2) * 200 + 30 for x in range(width))
        for y in range(height)
    )
    return encode_png(width, height, GREY, rows)
