"""What kind of image a file is, as browsers and platforms should be told."""

from __future__ import annotations

from PIL import Image


def image_mime(format_name: str | None) -> str:
    """The MIME type of an image Pillow read as ``format_name``. A camera's JPEG with a
    second picture (MPO) is a JPEG to browsers and platforms: it is stored as one."""
    kind = (format_name or "JPEG").upper()
    if kind == "MPO":
        kind = "JPEG"
    return Image.MIME.get(kind, f"image/{kind.lower()}")
