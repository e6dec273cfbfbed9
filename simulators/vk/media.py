"""Image sizes and stored blobs (sniffing and PNGs: ``simulators.images``)."""

from __future__ import annotations

import io

from simulators.images import IMAGE_TYPES, content_type_of, png_bytes, sniff_image

from .state import State

__all__ = ["IMAGE_TYPES", "content_type_of", "image_size", "png_bytes", "sniff_image", "store_blob"]


def image_size(data: bytes) -> tuple[int, int]:
    """Width and height via Pillow when it can parse the header, else (0, 0)."""
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            return int(image.width), int(image.height)
    except Exception:
        return 0, 0


def store_blob(state: State, name: str, data: bytes, ext: str = "") -> str:
    """Keep ``data`` downloadable at ``/media/{name}``; returns its URL."""
    state.blobs[name] = (data, content_type_of(data, ext))
    return state.url(f"/media/{name}")
