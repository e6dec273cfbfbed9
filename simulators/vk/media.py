"""Bytes-level helpers: image sniffing, a tiny PNG encoder, stored blobs."""

from __future__ import annotations

import io
import struct
import zlib

from .state import State

IMAGE_TYPES: dict[str, str] = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
}


def sniff_image(data: bytes) -> str | None:
    """The image format by magic bytes (``jpg``/``png``/``gif``/``webp``) or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def image_size(data: bytes) -> tuple[int, int]:
    """Width and height via Pillow when it can parse the header, else (0, 0)."""
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            return int(image.width), int(image.height)
    except Exception:
        return 0, 0


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


def png_bytes(width: int = 130, height: int = 50, seed: int = 0) -> bytes:
    """A small valid grayscale PNG with a stripe pattern (captcha images)."""
    rows = b"".join(
        b"\x00" + bytes(((x + y + seed) // 7 % 2) * 200 + 30 for x in range(width))
        for y in range(height)
    )

    def chunk(tag: bytes, payload: bytes) -> bytes:
        crc = zlib.crc32(tag + payload) & 0xFFFFFFFF
        return struct.pack(">I", len(payload)) + tag + payload + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def store_blob(state: State, name: str, data: bytes, ext: str = "") -> str:
    """Keep ``data`` downloadable at ``/media/{name}``; returns its URL."""
    state.blobs[name] = (data, content_type_of(data, ext))
    return state.url(f"/media/{name}")
