"""Citizens' photos and documents from VK messages, downloaded in the client's pool.

A photo is taken in its largest size; a document (``doc``: a PDF, a scan, a Word file)
as it came, like a document sent to the Telegram bot. An audio message is not a ``doc``
on VK (it has its own type), so everything here is something a question may carry.
"""

from __future__ import annotations

import logging
import mimetypes
from typing import Any, NamedTuple

from bots.vk.client import VkClient
from shared.domain import MediaKind
from shared.hotlines.model import Attachment

log = logging.getLogger(__name__)

MAX_BYTES = 20 * 1024 * 1024
# What the bot takes from a message; anything else a message carries, it can't.
TAKEN = {"photo", "doc"}


def _largest(photo: dict[str, Any]) -> str | None:
    sizes = photo.get("sizes") or []
    if not sizes:
        return photo.get("orig_photo", {}).get("url")
    best = max(sizes, key=lambda s: int(s.get("width", 0)) * int(s.get("height", 0)))
    url = best.get("url")
    return str(url) if url else None


def _get(client: VkClient, url: str) -> bytes | None:
    response = client.group.http.get(url, timeout=client.settings.request_timeout)
    if response.status_code != 200 or len(response.content) > MAX_BYTES:
        return None
    return bytes(response.content)


async def _download(client: VkClient, url: str, what: str) -> bytes | None:
    try:
        return await client.run(_get, client, url)
    except Exception as exc:
        log.warning("VK: a %s could not be downloaded: %s", what, type(exc).__name__)
        return None


def _photo(photo: dict[str, Any], data: bytes) -> Attachment:
    ref = f"photo{photo.get('owner_id')}_{photo.get('id')}"
    return Attachment(
        kind=MediaKind.PHOTO,
        filename=f"{ref}.jpg",
        mime="image/jpeg",
        data=data,
        refs={"vk_source": ref},
    )


def _doc_name(doc: dict[str, Any]) -> str:
    """The document's title, with its extension when the title lacks it."""
    ref = f"doc{doc.get('owner_id')}_{doc.get('id')}"
    title = str(doc.get("title") or "").strip() or ref
    ext = str(doc.get("ext") or "").strip().lstrip(".")
    if ext and not title.lower().endswith(f".{ext.lower()}"):
        title = f"{title}.{ext}"
    return title


def _doc(doc: dict[str, Any], data: bytes) -> Attachment:
    name = _doc_name(doc)
    return Attachment(
        kind=MediaKind.DOCUMENT,
        filename=name,
        mime=mimetypes.guess_type(name)[0] or "application/octet-stream",
        data=data,
        refs={"vk_source": f"doc{doc.get('owner_id')}_{doc.get('id')}"},
    )


class Taken(NamedTuple):
    """What of a message's files the bot keeps, and the names of those it can't."""

    attachments: tuple[Attachment, ...]
    left_out: tuple[str, ...]


async def attachments_of(client: VkClient, attachments: list[dict[str, Any]]) -> Taken:
    """The photos and documents of a message, in its order; one that can't be downloaded
    (or is over ``MAX_BYTES``) is left out, and named."""
    out: list[Attachment] = []
    missed: list[str] = []
    for item in attachments:
        kind = item.get("type")
        if kind == "photo":
            photo = item.get("photo") or {}
            url = _largest(photo)
            data = await _download(client, url, "photo") if url else None
            if data is not None:
                out.append(_photo(photo, data))
            else:
                missed.append("фото")
        elif kind == "doc":
            doc = item.get("doc") or {}
            url = str(doc.get("url") or "")
            too_big = int(doc.get("size") or 0) > MAX_BYTES
            data = await _download(client, url, "document") if url and not too_big else None
            if data is not None:
                out.append(_doc(doc, data))
            else:
                missed.append(_doc_name(doc))
    return Taken(tuple(out), tuple(missed))
