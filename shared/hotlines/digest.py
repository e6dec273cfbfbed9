"""A hotline's digest: the questions marked for publication, with their answers.

Hotline answers end up in print (the weekly municipal newspaper) and on the channel. The
digest gives the editor a .docx, the admin chat the same file, and the press office a
draft post that goes through the usual preview, schedule and publish. Citizens are not
named: consent covered answering them, not printing their names.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncConnection

from config.settings import ADMIN_PLATFORM
from shared import callbacks
from shared.domain import MediaKind, OutboxAction, PostKind, PostStatus, QuestionStatus
from shared.errors import InvalidInput
from shared.hotlines import campaigns, cards
from shared.hotlines.campaigns import Hotline
from shared.hotlines.model import PRIORITY_MODERATOR
from shared.hotlines.refs import HotlineRef
from shared.hotlines.retention import DIGEST_ACTION
from shared.outbox import store
from shared.outbox.model import OutboxMessage
from shared.outbox.payload import message
from shared.posts import repo as posts_repo
from shared.posts import service as posts
from shared.richtext import Block, Document, Span, from_plain, paragraph
from shared.services import Services
from shared.storage import audit, media
from shared.storage.media import MediaOwner
from shared.storage.schema import answers, questions
from shared.texts import Texts
from shared.typed import shows_anything
from shared.wordfile import DOCX_MIME as DOCX_MIME  # the web desk serves it by this name
from shared.wordfile import print_setup

# Control characters (XML 1.0 forbids most; a citizen may send them all the same) and the
# noncharacters XML refuses. Each becomes a space: dropped, it would glue two words.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
# A question starts 18 pt below the previous answer (the page is shared.wordfile's).
PAIR_SPACE_PT = 18


@dataclass(frozen=True)
class Entry:
    ticket: int
    question: str
    answer: str
    answered_at: datetime


@dataclass(frozen=True)
class Digest:
    hotline: Hotline
    entries: list[Entry]
    # Answered questions marked for publication that were left out, having nothing to print:
    # answered only with photos or files, or asked with a photo alone.
    left_out: int = 0


def has_text(text: str) -> bool:
    """Whether ``text`` prints as something a reader sees (not only spaces and controls)."""
    return shows_anything(clean(text))


def _marked(*where: Any) -> Select[Any]:
    """The answers of answered questions marked for publication, in order per question."""
    return (
        select(
            questions.c.hotline_id,
            questions.c.id,
            questions.c.text,
            answers.c.text,
            answers.c.created_at,
        )
        .join(answers, answers.c.question_id == questions.c.id)
        .where(
            questions.c.publishable.is_(True),
            questions.c.status == QuestionStatus.ANSWERED.value,
            *where,
        )
        .order_by(questions.c.hotline_id, questions.c.id, answers.c.id)
    )


def _entries(rows: Iterable[Sequence[Any]]) -> tuple[list[Entry], int]:
    """Each question with its last answer that has text, and how many questions were
    left out for having no text to print (theirs, or in every answer)."""
    last: dict[int, Entry] = {}
    seen: set[int] = set()
    for _, ticket, question, answer, at in rows:
        seen.add(int(ticket))
        if has_text(question) and has_text(answer):
            last[int(ticket)] = Entry(int(ticket), question, answer, at)
    return list(last.values()), len(seen) - len(last)


async def collect(conn: AsyncConnection, hotline_id: int) -> Digest:
    """Answered questions marked publishable, oldest first, each with its last answer
    that has text (a correction replaces what it corrects; a correction with only
    photos — a timetable added to the answer — leaves the text it follows as it was,
    since the digest prints no photos). A question with nothing to print — answered
    only with photos or files, or asked with a photo alone — is left out, and counted
    in ``left_out``."""
    hotline = await campaigns.get(conn, hotline_id)
    rows = await conn.execute(_marked(questions.c.hotline_id == hotline_id))
    entries, left_out = _entries(rows)
    return Digest(hotline, entries, left_out)


async def counts(conn: AsyncConnection, hotline_ids: Sequence[int]) -> dict[int, int]:
    """How many questions each hotline's digest prints (``collect``'s entries), by hotline;
    a hotline that prints none is left out."""
    if not hotline_ids:
        return {}
    rows = await conn.execute(_marked(questions.c.hotline_id.in_(hotline_ids)))
    found: dict[int, int] = {}
    for hotline_id, group in itertools.groupby(rows, key=lambda row: int(row[0])):
        entries, _ = _entries(group)
        if entries:
            found[hotline_id] = len(entries)
    return found


def left_out_note(digest: Digest, texts: Texts) -> str:
    """One line for the office naming the marked questions left out, or nothing."""
    return texts("digest.left_out", count=digest.left_out) if digest.left_out else ""


def _period(hotline: Hotline, tz: ZoneInfo) -> str:
    start, end = hotline.starts_at.astimezone(tz), hotline.ends_at.astimezone(tz)
    if start.date() == end.date():
        return f"{start:%d.%m.%Y}, {start:%H:%M}–{end:%H:%M}"
    return f"{start:%d.%m.%Y %H:%M} – {end:%d.%m.%Y %H:%M}"


def title(digest: Digest, texts: Texts) -> str:
    return texts("digest.title", topic=digest.hotline.topic)


def document(digest: Digest, texts: Texts, tz: ZoneInfo) -> Document:
    """The digest as rich text: the body of a post, or a message."""
    blocks: list[Block] = [
        paragraph(
            texts("digest.intro", period=_period(digest.hotline, tz), count=len(digest.entries))
        )
    ]
    for number, entry in enumerate(digest.entries, 1):
        label = f"{number}. {texts('digest.question')}"
        blocks.append(paragraph(Span(label, bold=True)))
        blocks.extend(from_plain(clean(entry.question)).blocks)
        blocks.append(paragraph(Span(texts("digest.answer"), bold=True)))
        blocks.extend(from_plain(clean(entry.answer)).blocks)
    return Document(tuple(blocks))


def clean(text: str) -> str:
    """Control characters as spaces: printable, and the words around them stay apart."""
    return _CONTROL.sub(" ", text)


def docx(digest: Digest, texts: Texts, tz: ZoneInfo, author: str = "") -> bytes:
    """The digest as a Word document for the newspaper's editor: A4, Russian (spelling and
    hyphenation), the office as its author, numbered question-and-answer pairs."""
    # Imported here: python-docx brings lxml, ~8 MiB that a running bot rarely needs.
    from docx import Document as DocxDocument
    from docx.shared import Pt

    out = DocxDocument()
    print_setup(out, author, clean(title(digest, texts)))
    out.add_heading(clean(title(digest, texts)), level=1)
    if digest.hotline.description:
        out.add_paragraph(clean(digest.hotline.description))
    intro = texts("digest.intro", period=_period(digest.hotline, tz), count=len(digest.entries))
    out.add_paragraph(intro)
    for number, entry in enumerate(digest.entries, 1):
        pair = (
            (f"{number}. {texts('digest.question')}", entry.question),
            (texts("digest.answer"), entry.answer),
        )
        for part, (label, text) in enumerate(pair):
            lines = clean(text).splitlines() or [""]
            first = out.add_paragraph()
            first.add_run(label + " ").bold = True
            first.add_run(lines[0])
            paragraphs = [first, *(out.add_paragraph(line) for line in lines[1:])]
            if part == 0:
                first.paragraph_format.space_before = Pt(PAIR_SPACE_PT)
                for question in paragraphs:  # a question is not left alone at a page's end
                    question.paragraph_format.keep_with_next = True
    buffer = io.BytesIO()
    out.save(buffer)
    return buffer.getvalue()


def filename(digest: Digest) -> str:
    return f"hotline-{digest.hotline.id}-digest.docx"


async def publishable(services: Services, hotline_id: int) -> Digest:
    """The digest, or a clear message when there is nothing to publish yet."""
    async with services.db.read() as conn:
        digest = await collect(conn, hotline_id)
    if not digest.entries:
        topic = digest.hotline.topic
        empty = services.texts("digest.empty", id=hotline_id, topic=topic)
        note = left_out_note(digest, services.texts)
        raise InvalidInput(f"{empty}\n{note}" if note else empty)
    return digest


async def record_made(conn: AsyncConnection, actor: str, digest: Digest) -> None:
    """The audit log's record that the digest was made: retention counts from the last."""
    await audit.record(
        conn, actor, DIGEST_ACTION, "hotline", digest.hotline.id, entries=len(digest.entries)
    )


async def to_admin_chat(
    services: Services, hotline_id: int, actor: str, reply_to: int | None = None
) -> None:
    """Send the .docx to the admin chat, with a button that makes a draft post of it."""
    texts, settings = services.texts, services.settings
    chat = cards.admin_chat(settings)
    if chat is None:
        raise InvalidInput(texts("digest.no_admin_chat"))
    digest = await publishable(services, hotline_id)
    # Built in a thread, before the write transaction: neither the event loop nor the
    # writer lock waits for python-docx.
    data = await asyncio.to_thread(docx, digest, texts, settings.tz, settings.office_name)
    async with services.db.write() as conn:
        (file_id,) = await media.add_all(
            conn,
            MediaOwner.DIGEST,
            hotline_id,
            [media.NewFile(MediaKind.DOCUMENT, filename(digest), DOCX_MIME, data)],
        )
        button = await callbacks.button(
            conn, texts("digest.btn_draft"), "mod.digest_post", hotline_id
        )
        caption = texts("digest.caption", topic=digest.hotline.topic, count=len(digest.entries))
        if note := left_out_note(digest, texts):
            caption = f"{caption}\n{note}"
        await store.enqueue(
            conn,
            OutboxMessage(
                platform=ADMIN_PLATFORM,
                action=OutboxAction.SEND,
                destination=chat,
                payload=message(
                    from_plain(caption), media=[file_id], buttons=[[button]], reply_to=reply_to
                ),
                priority=PRIORITY_MODERATOR,
                ref_type=HotlineRef.DIGEST,
                ref_id=hotline_id,
            ),
        )
        await record_made(conn, actor, digest)
    services.wake_outbox()


@dataclass(frozen=True)
class Drafted:
    """The digest's draft post, whether this call made it, and the digest it was made of."""

    post_id: int
    created: bool
    digest: Digest


async def draft_post(services: Services, hotline_id: int, actor: str) -> Drafted:
    """A draft press release of the digest; its preview appears in the admin chat.

    Asked again for the same digest (a double press, two moderators, the chat and the
    CLI) while that post is not cancelled, it names the post made the first time rather
    than making another: the post's source key is the digest's content.

    A busy hotline's digest can be longer than a platform takes (the VK wall's 16,384
    characters): the draft is then made for the platforms it fits, and its preview says
    which was left out and why, as for a long article from the site's feed.
    """
    texts = services.texts
    digest = await publishable(services, hotline_id)
    heading = title(digest, texts)
    body = document(digest, texts, services.settings.tz)
    configured = posts.configured_platforms(services.settings)
    fits, _ = posts.fitting(services, configured, heading, body, [])
    digest_key = hashlib.sha256(f"{heading}\n{body.to_json()}".encode()).hexdigest()[:16]
    async with services.db.write() as conn:
        existing, key = await _draft_key(conn, f"digest:{hotline_id}:{digest_key}")
        if existing is not None:
            return Drafted(existing, created=False, digest=digest)
        post_id = await posts.create(
            services,
            title=heading,
            body=body,
            kind=PostKind.PRESS_RELEASE,
            platforms=fits or None,  # none fits: refused, naming the first limit
            created_by=actor,
            draft=True,
            source_guid=key,
            conn=conn,
        )
    return Drafted(post_id, created=True, digest=digest)


async def _draft_key(conn: AsyncConnection, base: str) -> tuple[int | None, str]:
    """The live post made of this digest, if any; else a source key free for a new one
    (the first, or one after the cancelled drafts, whose keys stay taken)."""
    for n in itertools.count():
        key = base if n == 0 else f"{base}:{n}"
        found = await posts_repo.by_guid(conn, key)
        if found is None:
            return None, key
        if (await posts_repo.get(conn, found)).status is not PostStatus.CANCELLED:
            return found, key
    raise AssertionError("unreachable")
