"""A post against the limits of every platform it goes to, before anything is stored.

The platforms declare their limits (``shared.platform.PostLimits``, one per platform
package); this module only compares. A text that is not text (a binary file, control
characters) is refused here too: it can only come out as garbage on every platform.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from shared.domain import MediaKind
from shared.errors import InvalidInput
from shared.platform import LimitKind, PostLimits
from shared.richtext import Document
from shared.storage.media import NewFile
from shared.texts import Texts

# C0 controls but tab, line feed and carriage return; DEL and the C1 block.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
MEBIBYTE = 1024 * 1024
# Pixels in one photo a person may give: Pillow's own guard against decompression bombs
# (about 89 megapixels; it refuses twice as many outright). No platform takes more anyway.
MAX_PIXELS = Image.MAX_IMAGE_PIXELS or 89_478_485


@dataclass(frozen=True)
class Violation:
    """One limit of one platform that a post breaks."""

    platform: str
    kind: LimitKind
    limit: int
    actual: int
    filename: str = ""
    found: str = ""  # a photo's format, for PHOTO_FORMAT
    accepted: tuple[str, ...] = ()  # the formats the platform takes, for PHOTO_FORMAT


def violations(
    limits: Mapping[str, PostLimits],
    platforms: Sequence[str],
    doc: Document,
    media: Sequence[NewFile],
) -> list[Violation]:
    """Every limit the post breaks on the chosen platforms, in the platforms' order."""
    found: list[Violation] = []
    for platform in platforms:
        declared = limits.get(platform)
        if declared is None:
            continue
        found.extend(_against(platform, declared, doc, media))
    return found


def _against(
    platform: str, limits: PostLimits, doc: Document, media: Sequence[NewFile]
) -> list[Violation]:
    found: list[Violation] = []
    if limits.text_length is not None:
        length = len(limits.render(doc))
        if length > limits.text_length:
            found.append(Violation(platform, LimitKind.TEXT_LENGTH, limits.text_length, length))
    if limits.attachments is not None and len(media) > limits.attachments:
        found.append(Violation(platform, LimitKind.ATTACHMENTS, limits.attachments, len(media)))
    for item in media:
        if item.data is None:
            continue  # a platform's own reference (a Telegram file_id): its size is not ours
        if item.kind == MediaKind.PHOTO:
            found.extend(_photo(platform, limits, item.filename, item.data))
        cap, kind = (
            (limits.photo_bytes, LimitKind.PHOTO_SIZE)
            if item.kind == MediaKind.PHOTO
            else (limits.document_bytes, LimitKind.DOCUMENT_SIZE)
        )
        if cap is not None and len(item.data) > cap:
            found.append(Violation(platform, kind, cap, len(item.data), item.filename))
    return found


def format_name(image: Image.Image) -> str:
    """Pillow's name of the image's format; a camera's JPEG with a second picture (MPO) is
    a JPEG to every platform."""
    name = (image.format or "JPEG").upper()
    return "JPEG" if name == "MPO" else name


def _photo(platform: str, limits: PostLimits, filename: str, data: bytes) -> list[Violation]:
    """A photo's format and sides against the platform's limits (read from the header only)."""
    if limits.photo_sides is None and limits.photo_ratio is None and not limits.photo_formats:
        return []
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            kind = format_name(image)
    except (
        UnidentifiedImageError,
        OSError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ):
        return []  # not an image at all, or too many pixels: refused on reading it
    found: list[Violation] = []
    if limits.photo_formats and kind not in limits.photo_formats:
        accepted = tuple(sorted(limits.photo_formats))
        found.append(Violation(platform, LimitKind.PHOTO_FORMAT, 0, 0, filename, kind, accepted))
    if limits.photo_sides is not None and width + height > limits.photo_sides:
        found.append(
            Violation(platform, LimitKind.PHOTO_SIDES, limits.photo_sides, width + height, filename)
        )
    longer, shorter = max(width, height), max(1, min(width, height))
    if limits.photo_ratio is not None and longer > limits.photo_ratio * shorter:
        found.append(
            Violation(
                platform,
                LimitKind.PHOTO_RATIO,
                limits.photo_ratio,
                round(longer / shorter),
                filename,
            )
        )
    return found


def read_photo(data: bytes, name: str, texts: Texts, not_image: str) -> str:
    """The format of a photo a person gives (Pillow's name), after checking it is a whole
    image of a sane number of pixels; ``not_image`` is the refusal when it is no image.

    A small file can claim a huge picture (20,000 × 20,000 in 50 KB): decoding it would
    take gigabytes, so it is refused from its header, as the desk and the CLI both do.
    """
    too_big = InvalidInput(
        texts("posts.limits.too_many_pixels", file=name, limit=MAX_PIXELS // 1_000_000)
    )
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise too_big
            image.verify()
            return format_name(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_big from None  # the warning: where warnings are errors (the tests)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise InvalidInput(not_image) from None


def describe(violation: Violation, texts: Texts) -> str:
    """One line naming the platform, the limit and how far the post is over it."""
    platform = _platform_name(violation.platform, texts)
    if violation.kind is LimitKind.PHOTO_FORMAT:
        return texts(
            "posts.limits.photo_format",
            platform=platform,
            file=violation.filename,
            format=violation.found,
            accepted=", ".join(violation.accepted),
        )
    if violation.kind in {LimitKind.PHOTO_SIZE, LimitKind.DOCUMENT_SIZE}:
        return texts(
            f"posts.limits.{violation.kind.value}",
            platform=platform,
            file=violation.filename,
            limit=megabytes(violation.limit),
            actual=megabytes(violation.actual),
        )
    return texts(
        f"posts.limits.{violation.kind.value}",
        platform=platform,
        file=violation.filename,
        limit=f"{violation.limit:,}".replace(",", " "),
        actual=f"{violation.actual:,}".replace(",", " "),
    )


def check(
    limits: Mapping[str, PostLimits],
    platforms: Sequence[str],
    doc: Document,
    media: Sequence[NewFile],
    texts: Texts,
) -> None:
    """Refuse the post (``InvalidInput``) with the first limit it breaks."""
    found = violations(limits, platforms, doc, media)
    if found:
        raise InvalidInput(describe(found[0], texts))


def megabytes(size: int) -> str:
    value = size / MEBIBYTE
    shown = f"{value:.0f}" if value == int(value) else f"{value:.1f}".replace(".", ",")
    return f"{shown} МБ"


def _platform_name(platform: str, texts: Texts) -> str:
    key = f"moderation.platform_{platform}"
    return texts(key) if key in texts else platform


def decode_text(data: bytes, texts: Texts, source: str) -> str:
    """A text file's content, or ``InvalidInput`` when it is not text at all.

    A binary file (a PDF or a picture given as the text) would otherwise be published as a
    page of replacement characters.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            texts("posts.limits.not_utf8", source=source, offset=exc.start)
        ) from None
    check_text(text, texts, source)
    return text


def check_text(text: str, texts: Texts, source: str) -> None:
    """Refuse control characters (NUL, escape codes…): text, not a binary, is expected."""
    match = _CONTROL.search(text)
    if match is None:
        return
    line = text.count("\n", 0, match.start()) + 1
    code = f"U+{ord(match.group()):04X}"
    raise InvalidInput(texts("posts.limits.control_character", source=source, line=line, code=code))
