"""What the admin chat is told about a feed item: the files that did not come along."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from shared.posts.feed import store
from shared.posts.feed.fetch import Failure
from shared.services import Services

MIB = 1024 * 1024


def reason(services: Services, failure: Failure, detail: str) -> str:
    if failure is Failure.TOO_LARGE and detail.isdigit():
        detail = f"{int(detail) / MIB:g}"
    return services.texts(f"posts.feed.failure.{failure.value}", detail=detail)


def missing_lines_of(services: Services, missing: list[dict[str, Any]]) -> list[str]:
    if not missing:
        return []
    lines = [services.texts("posts.feed.missing")]
    for item in missing:
        why = reason(services, Failure(item["failure"]), str(item.get("detail") or ""))
        lines.append(services.texts("posts.feed.missing_item", url=item["url"], reason=why))
    return lines


async def missing_lines(services: Services, conn: AsyncConnection, post_id: int) -> list[str]:
    """Lines for the post's preview naming each photo or document the site did not give."""
    return missing_lines_of(services, await store.missing_files(conn, post_id))
