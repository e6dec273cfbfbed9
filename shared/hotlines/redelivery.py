"""Answers that never reached a citizen who had blocked the bot, sent again when they
come back.

A send refused because its citizen blocked the bot (``unreachable``) failed for good then:
nothing was delivered, so sending it once more is no duplicate. When the citizen writes to
the bot again (they unblocked it), each such answer is queued again, once, and its answers
and cards point at the new send.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.domain import OutboxState
from shared.hotlines import cards
from shared.hotlines import questions as repo
from shared.outbox import store
from shared.outbox.model import OutboxItem, OutboxMessage
from shared.services import Services
from shared.storage.schema import answers, questions


async def answers_again(conn: AsyncConnection, services: Services, citizen_id: int) -> int:
    """Queue again every answer to the citizen that failed as unreachable; how many sends."""
    rows = await conn.execute(
        select(answers.c.id, answers.c.question_id, answers.c.outbox_id)
        .join(questions, questions.c.id == answers.c.question_id)
        .where(questions.c.citizen_id == citizen_id, answers.c.outbox_id.is_not(None))
        .order_by(answers.c.id)
    )
    by_send: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for answer_id, question_id, outbox_id in rows:
        by_send[int(outbox_id)].append((int(answer_id), int(question_id)))
    refreshed: set[int] = set()
    for outbox_id, given in by_send.items():
        item = await store.get(conn, outbox_id)
        if item is None or not _refused_as_blocked(item):
            continue
        again = await store.enqueue(conn, _same_send(item))
        for answer_id, question_id in given:
            await repo.set_answer_outbox(conn, answer_id, again)
            refreshed.add(question_id)
    for question_id in sorted(refreshed):
        await cards.refresh(conn, services.settings, services.texts, question_id)
    return len(refreshed)


def _refused_as_blocked(item: OutboxItem) -> bool:
    return (
        item.state is OutboxState.FAILED
        and bool(item.progress.get("unreachable"))
        and bool(item.payload)
    )


def _same_send(item: OutboxItem) -> OutboxMessage:
    return OutboxMessage(
        platform=item.platform,
        action=item.action,
        destination=item.destination,
        payload=item.payload,
        priority=item.priority,
        ref_type=item.ref_type,
        ref_id=item.ref_id,
        citizen_id=item.citizen_id,
        lane=item.lane,
    )
