"""Reads for the desk: posts in a period with their publications, a post's full picture,
and a hotline's questions. Changes never happen here: they go through the services."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.hotlines.questions import OPEN
from shared.posts import changes, repo
from shared.posts.model import OWNER, Post, Publication
from shared.richtext import to_plain
from shared.storage import media as media_repo
from shared.storage.media import Media
from shared.storage.schema import posts, publications, questions
from web.desk.states import DeskState, on_platform

LABEL_LENGTH = 60


@dataclass(frozen=True)
class PlatformLine:
    platform: str
    state: DeskState
    publication: Publication | None


# A post that went out within this of its planned time went out as planned.
ON_TIME = timedelta(minutes=1)


@dataclass(frozen=True)
class Entry:
    """A post as the calendar shows it, per platform, at its time: when it went out once
    published (a post planned for later and published now is on the day it went out),
    else when it is planned for, else (a draft) when it was created."""

    post: Post
    when: datetime
    lines: list[PlatformLine]

    @property
    def planned(self) -> datetime | None:
        """The time it had been planned for, when it went out at another time."""
        post = self.post
        if post.published_at is None or post.scheduled_at is None:
            return None
        return post.scheduled_at if abs(post.scheduled_at - post.published_at) > ON_TIME else None

    @property
    def label(self) -> str:
        """The title, else the text's first line, shortened."""
        if self.post.title:
            return self.post.title
        first = to_plain(self.post.body).strip().split("\n", 1)[0]
        return first if len(first) <= LABEL_LENGTH else first[: LABEL_LENGTH - 1] + "…"

    @property
    def unknown(self) -> list[PlatformLine]:
        return [line for line in self.lines if line.state is DeskState.UNKNOWN]


def lines_of(post: Post, pubs: list[Publication]) -> list[PlatformLine]:
    by_platform = {p.platform: p for p in pubs}
    names = list(dict.fromkeys([*post.platforms, *by_platform]))
    return [
        PlatformLine(n, on_platform(post, by_platform.get(n)), by_platform.get(n)) for n in names
    ]


async def _publications(conn: AsyncConnection, post_ids: list[int]) -> dict[int, list[Publication]]:
    out: dict[int, list[Publication]] = defaultdict(list)
    if not post_ids:
        return out
    rows = await conn.execute(
        select(publications).where(publications.c.post_id.in_(post_ids)).order_by(publications.c.id)
    )
    for row in rows:
        pub = Publication.from_row(row)
        out[pub.post_id].append(pub)
    return out


async def entries(conn: AsyncConnection, start: datetime, end: datetime) -> list[Entry]:
    """Posts whose time (published, else scheduled, else created) is in ``[start, end)``."""
    when = func.coalesce(posts.c.published_at, posts.c.scheduled_at, posts.c.created_at)
    rows = (
        await conn.execute(
            select(posts, when.label("desk_when"))
            .where(when >= start, when < end)
            .order_by(when, posts.c.id)
        )
    ).all()
    found = [(Post.from_row(r), r._mapping["desk_when"]) for r in rows]
    pubs = await _publications(conn, [p.id for p, _ in found])
    return [Entry(p, w, lines_of(p, pubs.get(p.id, []))) for p, w in found]


@dataclass(frozen=True)
class PostView:
    entry: Entry
    media: list[Media]
    # Publications a platform does not show as the post is now (a refused edit or
    # deletion, or one to make by hand), by publication id.
    troubles: dict[int, changes.Found] = field(default_factory=dict)

    @property
    def retryable(self) -> bool:
        return any(found.trouble.retryable for found in self.troubles.values())


async def post_view(conn: AsyncConnection, post_id: int) -> PostView:
    post = await repo.get(conn, post_id)
    pubs = await repo.publications_of(conn, post_id)
    when = post.published_at or post.scheduled_at
    if when is None:
        when = (
            await conn.execute(select(posts.c.created_at).where(posts.c.id == post_id))
        ).scalar_one()
    entry = Entry(post, when, lines_of(post, pubs))
    found = await changes.troubles(conn, post, pubs)
    return PostView(entry, await media_repo.of(conn, OWNER, post_id), found)


@dataclass(frozen=True)
class QuestionTimes:
    created_at: datetime
    answered_at: datetime | None


async def question_times(conn: AsyncConnection, hotline_id: int) -> list[QuestionTimes]:
    rows = await conn.execute(
        select(questions.c.created_at, questions.c.answered_at)
        .where(questions.c.hotline_id == hotline_id)
        .order_by(questions.c.id)
    )
    return [QuestionTimes(r.created_at, r.answered_at) for r in rows]


async def waiting(
    conn: AsyncConnection, hotline_id: int, limit: int = 50
) -> list[tuple[int, str, str, datetime]]:
    """The hotline's unanswered questions, oldest first: ticket, status, text, time."""
    rows = await conn.execute(
        select(questions.c.id, questions.c.status, questions.c.text, questions.c.created_at)
        .where(
            questions.c.hotline_id == hotline_id, questions.c.status.in_([s.value for s in OPEN])
        )
        .order_by(questions.c.id)
        .limit(limit)
    )
    return [(r.id, r.status, r.text, r.created_at) for r in rows]
