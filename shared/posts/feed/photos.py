"""An item's photos and documents, downloaded and checked, with what could not be had.

A photo is kept only if Pillow recognises it as a picture (as the CLI checks uploads) and
its sides and proportions are within what every chosen platform takes (a 600×12500
infographic is not); one that fails is reported by its address and reason so the admin
chat can name it. Only the first ``MAX_PHOTOS`` photos are fetched: that is the
platforms' album size.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import mimetypes
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import aiohttp
from PIL import Image, UnidentifiedImageError

from config.settings import PublishingSettings
from shared.domain import MediaKind
from shared.images import image_mime
from shared.platform import PostLimits
from shared.posts.feed.fetch import DownloadFailed, Failure, download, filename_of
from shared.posts.feed.parse import FeedItem
from shared.posts.limits import format_name
from shared.posts.model import MAX_PHOTOS
from shared.storage.media import NewFile

DOCUMENT_MAX_BYTES = 50 * 1024 * 1024  # a ceiling when no platform declares one


@dataclass(frozen=True)
class Caps:
    """What one post may carry: the settings' and every chosen platform's limits."""

    photo_bytes: int
    document_bytes: int
    attachments: int
    seconds: float
    photo_sides: int | None = None  # width + height, in pixels (None: no platform says)
    photo_ratio: int | None = None  # the longer side over the shorter
    # Formats every chosen platform takes that declares any (None: no platform says).
    photo_formats: frozenset[str] | None = None

    @classmethod
    def of(
        cls,
        publishing: PublishingSettings,
        limits: Mapping[str, PostLimits],
        platforms: Sequence[str],
    ) -> Caps:
        declared = [limit for name, limit in limits.items() if name in platforms]
        photo = [publishing.feed_photo_max_bytes, *(d.photo_bytes for d in declared)]
        document = [DOCUMENT_MAX_BYTES, *(d.document_bytes for d in declared)]
        attachments = [MAX_PHOTOS, *(d.attachments for d in declared)]
        sides = [d.photo_sides for d in declared if d.photo_sides is not None]
        ratio = [d.photo_ratio for d in declared if d.photo_ratio is not None]
        formats = [frozenset(d.photo_formats) for d in declared if d.photo_formats]
        return cls(
            photo_bytes=min(v for v in photo if v is not None),
            document_bytes=min(v for v in document if v is not None),
            attachments=min(v for v in attachments if v is not None),
            seconds=publishing.feed_photo_timeout,
            photo_sides=min(sides, default=None),
            photo_ratio=min(ratio, default=None),
            photo_formats=frozenset.intersection(*formats) if formats else None,
        )

    def shape(self, width: int, height: int) -> Failure | None:
        """Why a picture of this size would be refused (as ``limits._shape`` checks), if so."""
        longer, shorter = max(width, height), max(1, min(width, height))
        if self.photo_ratio is not None and longer > self.photo_ratio * shorter:
            return Failure.RATIO
        if self.photo_sides is not None and width + height > self.photo_sides:
            return Failure.SIDES
        return None


@dataclass(frozen=True)
class Missing:
    """A file the item names that the post does not get."""

    url: str
    failure: Failure
    detail: str = ""

    def to_json(self) -> dict[str, str]:
        return {"url": self.url, "failure": self.failure.value, "detail": self.detail}


def _image(data: bytes) -> tuple[str, str, int, int]:
    """The picture's format, MIME type, width and height (``NOT_IMAGE`` if it is none;
    ``PIXELS`` if Pillow refuses to open it as a decompression bomb)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            image.verify()
            kind = format_name(image)
    except Image.DecompressionBombError:
        raise DownloadFailed(
            Failure.PIXELS, f"{2 * (Image.MAX_IMAGE_PIXELS or 0) // 10**6}"
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise DownloadFailed(Failure.NOT_IMAGE) from None
    return kind, image_mime(kind), width, height


async def _photo(session: aiohttp.ClientSession, url: str, caps: Caps) -> NewFile:
    got = await download(session, url, caps.photo_bytes, caps.seconds)
    kind, mime, width, height = await asyncio.to_thread(_image, got.data)
    if caps.photo_formats is not None and kind not in caps.photo_formats:
        raise DownloadFailed(Failure.FORMAT, kind)
    refused = caps.shape(width, height)
    if refused is not None:
        raise DownloadFailed(refused, f"{width}×{height}")
    name = got.filename
    if "." not in name:
        name += mimetypes.guess_extension(mime) or ".jpg"
    return NewFile(MediaKind.PHOTO, name, mime, got.data)


async def _document(session: aiohttp.ClientSession, url: str, caps: Caps) -> NewFile:
    got = await download(session, url, caps.document_bytes, caps.seconds)
    mime = mimetypes.guess_type(got.filename)[0] or got.mime
    return NewFile(MediaKind.DOCUMENT, filename_of(url, "document"), mime, got.data)


async def collect(
    session: aiohttp.ClientSession, item: FeedItem, caps: Caps
) -> tuple[list[NewFile], list[Missing]]:
    """Photos (in the item's order, each picture once) then documents, and what failed."""
    files: list[NewFile] = []
    missing: list[Missing] = []
    seen: set[str] = set()
    room = str(caps.attachments)
    for url in item.photos:
        if len(files) >= min(MAX_PHOTOS, caps.attachments):
            missing.append(Missing(url, Failure.OVER_LIMIT, room))
            continue
        try:
            photo = await _photo(session, url, caps)
        except DownloadFailed as exc:
            missing.append(Missing(url, exc.failure, exc.detail))
            continue
        digest = hashlib.sha256(photo.data or b"").hexdigest()
        if digest not in seen:
            seen.add(digest)
            files.append(photo)
    for url in item.documents:
        if len(files) >= caps.attachments:
            missing.append(Missing(url, Failure.OVER_LIMIT, room))
            continue
        try:
            files.append(await _document(session, url, caps))
        except DownloadFailed as exc:
            missing.append(Missing(url, exc.failure, exc.detail))
    return files, missing
