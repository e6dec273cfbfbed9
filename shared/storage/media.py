"""Photos and documents of posts, questions and answers, with each platform's reference."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.clock import utcnow
from shared.domain import MediaKind
from shared.storage.schema import media


class MediaOwner(StrEnum):
    """What a stored file belongs to: deleting or adopting that record finds it so."""

    POST = "post"
    """A post's photo or document."""
    POST_CAPTCHA = "post_captcha"
    """A VK captcha image shown to the admin chat for a post's send."""
    ALERT = "alert"
    """An alert's photo."""
    ALERT_DRAFT = "alert_draft"
    """A photo sent during the admin chat's ``/alert`` dialogue, before it is confirmed."""
    QUESTION = "question"
    """A citizen's photo or document with a hotline question (retired with their data)."""
    QUESTION_DRAFT = "draft"
    """A citizen's attachment still waiting for the question it goes with."""
    ANSWER = "answer"
    """A moderator's attachment to an answer."""
    DIGEST = "digest"
    """A hotline's digest (.docx) for the paper."""
    REPORT = "report"
    """The year's report (.docx) and its charts."""


@dataclass(frozen=True)
class NewFile:
    """A photo or document to store; ``refs`` keeps a platform's id (a Telegram file_id)."""

    kind: MediaKind
    filename: str
    mime: str
    data: bytes | None
    refs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Media:
    id: int
    owner_type: MediaOwner
    owner_id: int
    position: int
    kind: MediaKind
    filename: str
    mime: str
    data: bytes | None
    refs: dict[str, Any]

    @classmethod
    def from_row(cls, row: Any) -> Media:
        m = row._mapping
        return cls(
            id=m["id"],
            owner_type=MediaOwner(m["owner_type"]),
            owner_id=m["owner_id"],
            position=m["position"],
            kind=MediaKind(m["kind"]),
            filename=m["filename"],
            mime=m["mime"],
            data=m["data"],
            refs=dict(m["refs"] or {}),
        )


async def add(
    conn: AsyncConnection,
    *,
    owner_type: MediaOwner,
    owner_id: int,
    kind: MediaKind,
    filename: str,
    mime: str,
    data: bytes | None,
    position: int = 0,
    refs: dict[str, Any] | None = None,
) -> int:
    result = await conn.execute(
        media.insert()
        .values(
            owner_type=MediaOwner(owner_type).value,
            owner_id=owner_id,
            position=position,
            kind=MediaKind(kind).value,
            filename=filename,
            mime=mime,
            data=data,
            refs=refs or {},
            created_at=utcnow(),
        )
        .returning(media.c.id)
    )
    return int(result.scalar_one())


async def add_all(
    conn: AsyncConnection,
    owner_type: MediaOwner,
    owner_id: int,
    files: Sequence[NewFile],
    start: int = 0,
) -> list[int]:
    """Store files in order, positions counting from ``start``; returns their ids."""
    return [
        await add(
            conn,
            owner_type=owner_type,
            owner_id=owner_id,
            kind=f.kind,
            filename=f.filename,
            mime=f.mime,
            data=f.data,
            position=start + index,
            refs=f.refs,
        )
        for index, f in enumerate(files)
    ]


async def get(conn: AsyncConnection, media_id: int) -> Media | None:
    row = (await conn.execute(select(media).where(media.c.id == media_id))).first()
    return Media.from_row(row) if row else None


async def of(conn: AsyncConnection, owner_type: MediaOwner, owner_id: int) -> list[Media]:
    rows = await conn.execute(
        select(media)
        .where(media.c.owner_type == owner_type, media.c.owner_id == owner_id)
        .order_by(media.c.position, media.c.id)
    )
    return [Media.from_row(r) for r in rows]


async def set_ref(conn: AsyncConnection, media_id: int, key: str, value: Any) -> None:
    """Remember a platform's id for the file (a Telegram file_id, a VK attachment)."""
    row = (await conn.execute(select(media.c.refs).where(media.c.id == media_id))).first()
    refs = dict(row[0] or {}) if row else {}
    refs[key] = value
    await conn.execute(update(media).where(media.c.id == media_id).values(refs=refs))
