"""Citizens' questions: the queue the moderators work through.

Every change of a question's status is a conditional update (``WHERE status IN ...``)
made inside ``db.write()``, so two moderators acting at once can't both win.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.clock import utcnow
from shared.domain import QuestionStatus
from shared.richtext import Document
from shared.storage import writebehind
from shared.storage.schema import answers, citizens, hotlines, questions

OPEN = (QuestionStatus.NEW, QuestionStatus.ASSIGNED)


@dataclass(frozen=True)
class Question:
    id: int
    citizen_id: int
    hotline_id: int | None
    text: str
    attachments: list[int]
    status: QuestionStatus
    assigned_to: int | None
    assigned_name: str | None
    publishable: bool
    reject_reason: str | None
    carded: bool
    created_at: datetime
    answered_at: datetime | None

    @classmethod
    def from_row(cls, row: Any) -> Question:
        m = row._mapping
        return cls(
            id=m["id"],
            citizen_id=m["citizen_id"],
            hotline_id=m["hotline_id"],
            text=m["text"],
            attachments=list(m["attachments"] or []),
            status=QuestionStatus(m["status"]),
            assigned_to=m["assigned_to"],
            assigned_name=m["assigned_name"],
            publishable=m["publishable"],
            reject_reason=m["reject_reason"],
            carded=m["carded"],
            created_at=m["created_at"],
            answered_at=m["answered_at"],
        )


@dataclass(frozen=True)
class Answer:
    id: int
    question_id: int
    moderator_id: int
    moderator_name: str
    text: str
    attachments: list[int]
    is_correction: bool
    outbox_id: int | None
    created_at: datetime
    reply_message_id: int | None = None  # the moderator's message that sent it

    @classmethod
    def from_row(cls, row: Any) -> Answer:
        m = row._mapping
        return cls(
            id=m["id"],
            question_id=m["question_id"],
            moderator_id=m["moderator_id"],
            moderator_name=m["moderator_name"],
            text=m["text"],
            attachments=list(m["attachments"] or []),
            is_correction=m["is_correction"],
            outbox_id=m["outbox_id"],
            created_at=m["created_at"],
            reply_message_id=m["reply_message_id"],
        )


def storable(text: str) -> str:
    """Text as both engines can keep it: PostgreSQL refuses NUL in text, and a NUL is
    nothing a person meant to write."""
    return text.replace("\x00", "")


def storable_doc(doc: Document) -> Document:
    """Rich text as both engines can keep it (no NUL in a span's text or link)."""
    return Document(
        tuple(
            replace(
                block,
                spans=tuple(
                    replace(s, text=storable(s.text), link=storable(s.link) if s.link else None)
                    for s in block.spans
                ),
            )
            for block in doc.blocks
        )
    )


_ADD = questions.insert().returning(questions.c.id)  # built once: intake runs it per question


async def add(
    conn: AsyncConnection,
    *,
    citizen_id: int,
    hotline_id: int | None,
    text: str,
    status: QuestionStatus = QuestionStatus.NEW,
) -> int:
    result = await conn.execute(
        _ADD,
        {
            "citizen_id": citizen_id,
            "hotline_id": hotline_id,
            "text": storable(text),
            "attachments": [],
            "status": status.value,
            "publishable": False,
            "carded": False,
            "created_at": utcnow(),
        },
    )
    return int(result.scalar_one())


async def get(conn: AsyncConnection, question_id: int) -> Question | None:
    row = (await conn.execute(select(questions).where(questions.c.id == question_id))).first()
    return Question.from_row(row) if row else None


async def set_fields(conn: AsyncConnection, question_id: int, **values: Any) -> None:
    await writebehind.update(conn, questions, question_id, values)


async def transition(
    conn: AsyncConnection,
    question_id: int,
    allowed: Sequence[QuestionStatus],
    **values: Any,
) -> bool:
    """Change a question only if its status is still one of ``allowed``; True if we won."""
    result = await conn.execute(
        update(questions)
        .where(
            questions.c.id == question_id,
            questions.c.status.in_([s.value for s in allowed]),
        )
        .values(**values)
    )
    return result.rowcount == 1


async def of_citizen(conn: AsyncConnection, citizen_id: int, limit: int = 10) -> list[Question]:
    rows = await conn.execute(
        select(questions)
        .where(questions.c.citizen_id == citizen_id)
        .order_by(questions.c.id.desc())
        .limit(limit)
    )
    return [Question.from_row(r) for r in rows]


async def held(conn: AsyncConnection, citizen_id: int) -> list[Question]:
    """What the citizen sent while banned, oldest first."""
    rows = await conn.execute(
        select(questions)
        .where(
            questions.c.citizen_id == citizen_id,
            questions.c.status == QuestionStatus.BANNED.value,
        )
        .order_by(questions.c.id)
    )
    return [Question.from_row(r) for r in rows]


async def waiting_page(conn: AsyncConnection, after_id: int = 0, limit: int = 10) -> list[Question]:
    """Unanswered questions, oldest first, after ``after_id`` (keyset paging).

    One indexed range scan per status (``ix_questions_status_id``), merged here: a single
    ``status IN (...) ORDER BY id`` would walk the whole table on SQLite.
    """
    found: list[Question] = []
    for status in OPEN:
        rows = await conn.execute(
            select(questions)
            .where(questions.c.status == status.value, questions.c.id > after_id)
            .order_by(questions.c.id)
            .limit(limit)
        )
        found.extend(Question.from_row(r) for r in rows)
    return sorted(found, key=lambda q: q.id)[:limit]


async def oldest_new(conn: AsyncConnection, after_id: int = 0) -> Question | None:
    row = (
        await conn.execute(
            select(questions)
            .where(questions.c.status == QuestionStatus.NEW.value, questions.c.id > after_id)
            .order_by(questions.c.id)
            .limit(1)
        )
    ).first()
    return Question.from_row(row) if row else None


async def count_by_status(conn: AsyncConnection) -> dict[str, int]:
    rows = await conn.execute(select(questions.c.status, func.count()).group_by(questions.c.status))
    return {status: int(n) for status, n in rows}


async def count_uncarded_new(conn: AsyncConnection) -> int:
    result = await conn.execute(
        select(func.count()).where(
            questions.c.status == QuestionStatus.NEW.value, questions.c.carded.is_(False)
        )
    )
    return int(result.scalar_one())


async def add_answer(
    conn: AsyncConnection,
    *,
    question_id: int,
    moderator_id: int,
    moderator_name: str,
    text: str,
    attachments: Sequence[int],
    is_correction: bool,
    reply_message_id: int | None = None,
) -> int:
    result = await conn.execute(
        answers.insert()
        .values(
            question_id=question_id,
            moderator_id=moderator_id,
            moderator_name=moderator_name,
            text=storable(text),
            attachments=list(attachments),
            is_correction=is_correction,
            reply_message_id=reply_message_id,
            created_at=utcnow(),
        )
        .returning(answers.c.id)
    )
    return int(result.scalar_one())


async def answers_of(conn: AsyncConnection, question_id: int) -> list[Answer]:
    rows = await conn.execute(
        select(answers).where(answers.c.question_id == question_id).order_by(answers.c.id)
    )
    return [Answer.from_row(r) for r in rows]


async def get_answer(conn: AsyncConnection, answer_id: int) -> Answer | None:
    row = (await conn.execute(select(answers).where(answers.c.id == answer_id))).first()
    return Answer.from_row(row) if row else None


async def last_answer_by_reply(
    conn: AsyncConnection, question_id: int, reply_message_id: int
) -> Answer | None:
    """The latest answer (or correction) to the question sent by that moderator's message."""
    row = (
        await conn.execute(
            select(answers)
            .where(
                answers.c.question_id == question_id,
                answers.c.reply_message_id == reply_message_id,
            )
            .order_by(answers.c.id.desc())
            .limit(1)
        )
    ).first()
    return Answer.from_row(row) if row else None


async def set_answer_outbox(conn: AsyncConnection, answer_id: int, outbox_id: int) -> None:
    await conn.execute(update(answers).where(answers.c.id == answer_id).values(outbox_id=outbox_id))


async def topic_of(conn: AsyncConnection, hotline_id: int | None) -> str | None:
    if hotline_id is None:
        return None
    row = await conn.execute(select(hotlines.c.topic).where(hotlines.c.id == hotline_id))
    value: str | None = row.scalar_one_or_none()
    return value


async def citizens_banned(conn: AsyncConnection) -> int:
    result = await conn.execute(select(func.count()).where(citizens.c.banned.is_(True)))
    return int(result.scalar_one())
