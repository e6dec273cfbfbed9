"""What the admin chat is told about a feed item: the files that did not come along."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from shared.posts.feed import store
from shared.posts.feed.fetch import Failure
from shared.services import Services
from shared.texts import Texts

MIB = 1024 * 1024
NAMED = 3  # files named one by one in a preview (its text has a size limit); the rest counted
URL_SHOWN = 100


def reason(texts: Texts, failure: Failure, detail: str) -> str:
    if failure is Failure.TOO_LARGE and detail.isdigit():
        detail = f"{int(detail) / MIB:g}"
    return texts(f"posts.feed.failure.{failure.value}", detail=detail)


def _short(url: str) -> str:
    return url if len(url) <= URL_SHOWN else url[: URL_SHOWN - 1] + "…"


def missing_lines_of(texts: Texts, missing: list[dict[str, Any]]) -> list[str]:
    """A heading and one line per file (the first few only: the preview has a size limit),
    then the notes (a platform that would refuse the item)."""
    notes = [str(entry["note"]) for entry in missing if "note" in entry]
    missing = [entry for entry in missing if "note" not in entry]
    if not missing:
        return notes
    lines = [texts("posts.feed.missing")]
    for item in missing[:NAMED]:
        why = reason(texts, Failure(item["failure"]), str(item.get("detail") or ""))
        lines.append(texts("posts.feed.missing_item", url=_short(item["url"]), reason=why))
    if len(missing) > NAMED:
        lines.append(texts("posts.feed.missing_more", count=len(missing) - NAMED))
    return lines + notes


async def missing_lines(services: Services, conn: AsyncConnection, post_id: int) -> list[str]:
    """Lines for the post's preview naming each photo or document the site did not give."""
    return missing_lines_of(services.texts, await store.missing_files(conn, post_id))
