"""The similar questions on a question's card: the line that names them and the buttons.

Kept apart from ``cards`` so the card only asks for a view and draws what it is given.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from config.settings import Settings
from shared import callbacks
from shared.domain import QuestionStatus
from shared.hotlines import questions as repo
from shared.hotlines import similar
from shared.outbox.payload import Button
from shared.richtext import Block, Span, paragraph
from shared.storage.schema import answers, questions
from shared.texts import Texts

# Tickets named on the card before «и ещё N»; «Убрать №N» buttons, and per row.
NAMED = 2
TAKE_OUT_BUTTONS = 9
PER_ROW = 3


@dataclass(frozen=True)
class Grouping:
    """What the card shows of the question's look-alikes."""

    question: repo.Question
    found: list[int]  # similar waiting questions now, most alike first
    members: list[int] | None  # «Ответить всем» is on: the group it answers


async def view(
    conn: AsyncConnection, settings: Settings, question: repo.Question, fresh: bool = False
) -> Grouping:
    """``fresh``: the question arrived just now (its first card): no group, not taken out."""
    threshold = settings.hotline.similar_threshold
    if fresh:
        found = await similar.find(conn, question.id, threshold)
        return Grouping(question, [m.question_id for m in found], None)
    members = await similar.members(conn, question.id)
    found_ids: list[int] = []
    if members is None and question.status in repo.OPEN:
        found_ids = [m.question_id for m in await similar.find(conn, question.id, threshold)]
    elif members and question.status not in repo.OPEN:
        # Answered: name only the members the reply reached — answered by the moderator who
        # answered this card (not one rejected meanwhile, nor one another moderator answered
        # before: it never got this reply).
        by = (
            select(answers.c.moderator_id)
            .where(answers.c.question_id == question.id, answers.c.is_correction.is_(False))
            .order_by(answers.c.id)
            .limit(1)
            .scalar_subquery()
        )
        first = (
            select(answers.c.question_id, func.min(answers.c.id).label("id"))
            .where(answers.c.question_id.in_(members), answers.c.is_correction.is_(False))
            .group_by(answers.c.question_id)
            .subquery("first")
        )
        rows = await conn.execute(
            select(questions.c.id)
            .join(first, first.c.question_id == questions.c.id)
            .join(answers, answers.c.id == first.c.id)
            .where(
                questions.c.status == QuestionStatus.ANSWERED.value,
                answers.c.moderator_id == by,
            )
        )
        answered = set(rows.scalars())
        members = [i for i in members if i in answered]
    return Grouping(question, found_ids, members)


def _tickets(ids: list[int]) -> str:
    return ", ".join(f"№{i}" for i in ids)


def lines(texts: Texts, grouping: Grouping) -> list[Block]:
    question, members = grouping.question, grouping.members
    if members is not None:
        if question.status in repo.OPEN:
            text = texts("similar.card_group", tickets=_tickets([question.id, *members]))
        elif members:
            text = texts("similar.card_group_done", tickets=_tickets(members))
        else:
            return []
        return [paragraph(Span(text, bold=True))]
    found = grouping.found
    if not found:
        return []
    named = _tickets(found[:NAMED])
    more = len(found) - NAMED
    if more > 0:
        return [paragraph(texts("similar.card_similar_more", tickets=named, more=more))]
    return [paragraph(texts("similar.card_similar", tickets=named))]


async def buttons(conn: AsyncConnection, texts: Texts, grouping: Grouping) -> list[list[Button]]:
    question, members = grouping.question, grouping.members
    if question.status not in repo.OPEN:
        return []
    qid = question.id
    if members is None:
        if not grouping.found:
            return []
        label = texts("similar.btn_all", count=len(grouping.found) + 1)
        # The button names the group it shows: pressing it fixes that one, not a later search.
        shown = list(grouping.found)
        return [[await callbacks.button(conn, label, "mod.group_all", qid, ids=shown)]]
    rows: list[list[Button]] = []
    for i in members[:TAKE_OUT_BUTTONS]:
        label = texts("similar.btn_take_out", ticket=i)
        out = await callbacks.button(conn, label, "mod.group_out", qid, o=i)
        if not rows or len(rows[-1]) == PER_ROW:
            rows.append([])
        rows[-1].append(out)
    one = await callbacks.button(conn, texts("similar.btn_one"), "mod.group_one", qid)
    rows.append([one])
    return rows
