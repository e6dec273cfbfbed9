"""Citizens' photos from VK messages: the largest size, downloaded in the client's pool."""

from __future__ import annotations

import logging
from typing import Any

from bots.vk.client import VkClient
from shared.domain import MediaKind
from shared.hotlines.model import Attachment

log = logging.getLogger(__name__)

MAX_BYTES = 20 * 1024 * 1024


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


async def photos_of(client: VkClient, attachments: list[dict[str, Any]]) -> tuple[Attachment, ...]:
    out: list[Attachment] = []
    for item in attachments:
        if item.get("type") != "photo":
            continue
        photo = item.get("photo") or {}
        url = _largest(photo)
        if url is None:
            continue
        try:
            data = await client.run(_get, client, url)
        except Exception as exc:
            log.warning("VK: a photo could not be downloaded: %s", type(exc).__name__)
            continue
        if data is None:
            continue
        ref = f"photo{photo.get('owner_id')}_{photo.get('id')}"
        out.append(
            Attachment(
                kind=MediaKind.PHOTO,
                filename=f"{ref}.jpg",
                mime="image/jpeg",
                data=data,
                refs={"vk_source": ref},
            )
        )
    return tuple(out)
