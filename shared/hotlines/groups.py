"""«Ответить всем»: one moderator's reply answers a question and the similar ones with it.

Pressing the button on a card fixes the group as the card shows it then (a question that
arrives later joins nobody's group unseen); a reply to that card is then sent to each
question of the group through ``moderation.answer``, each citizen on their own platform,
each question marked answered by that moderator. A moderator can take a question out.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.domain import QuestionStatus
from shared.hotlines import cards, moderation, similar
from shared.hotlines import questions as repo
from shared.hotlines.model import Attachment, Moderator
from shared.services import Services
from shared.storage import audit
from shared.storage.schema import question_similar


async def _set_members(conn: AsyncConnection, question_id: int, ids: list[int] | None) -> None:
    await conn.execute(
        update(question_similar)
        .where(question_similar.c.question_id == question_id)
        .values(group_ids=ids)
    )


async def answer_all(services: Services, mod: Moderator, question_id: int) -> str:
    """Fix the card's group: a reply to the card will answer all of it."""
    texts = services.texts
    async with services.db.write() as conn:
        question = await repo.get(conn, question_id)
        if question is None or question.status not in repo.OPEN:
            return texts("moderation.already_closed")
        threshold = services.settings.hotline.similar_threshold
        ids = [m.question_id for m in await similar.find(conn, question_id, threshold)]
        if not ids:
            return texts("similar.none")
        await _set_members(conn, question_id, ids)
        await audit.record(conn, mod.actor, "question.group", "question", question_id, members=ids)
        await cards.refresh(conn, services.settings, texts, question_id)
    services.wake_outbox()
    return texts("similar.group_on", count=len(ids) + 1)


async def answer_one(services: Services, mod: Moderator, question_id: int) -> str:
    """Back to answering the card's question alone."""
    async with services.db.write() as conn:
        await _set_members(conn, question_id, None)
        await audit.record(conn, mod.actor, "question.ungroup", "question", question_id)
        await cards.refresh(conn, services.settings, services.texts, question_id)
    services.wake_outbox()
    return services.texts("similar.group_off")


async def take_out(services: Services, mod: Moderator, question_id: int, other_id: int) -> str:
    """Take ``other_id`` out of this card's group, and out of every group from now on."""
    async with services.db.write() as conn:
        ids = await similar.members(conn, question_id)
        if ids is not None and other_id in ids:
            ids.remove(other_id)
            await _set_members(conn, question_id, ids or None)
        await conn.execute(
            update(question_similar)
            .where(question_similar.c.question_id == other_id)
            .values(apart=True)
        )
        await audit.record(
            conn, mod.actor, "question.take_out", "question", other_id, group=question_id
        )
        await cards.refresh(conn, services.settings, services.texts, question_id)
        await cards.refresh(conn, services.settings, services.texts, other_id)
    services.wake_outbox()
    return services.texts("similar.taken_out", ticket=other_id)


async def answer(
    services: Services,
    mod: Moderator,
    question_id: int,
    text: str,
    attachments: tuple[Attachment, ...] = (),
    reply_to: int | None = None,
) -> moderation.Outcome:
    """A reply to a card: to its question, and, if «Ответить всем» is on, to its group.

    Each question is answered (or corrected) by ``moderation.answer``, the one answer path;
    a question of the group rejected or taken out meanwhile is left alone.
    """
    outcome = await moderation.answer(services, mod, question_id, text, attachments, reply_to)
    if outcome.result not in (moderation.AnswerResult.ANSWERED, moderation.AnswerResult.CORRECTED):
        return outcome
    async with services.db.read() as conn:
        ids = await similar.members(conn, question_id) or []
        apart = await conn.execute(
            select(question_similar.c.question_id).where(
                question_similar.c.question_id.in_(ids), question_similar.c.apart.is_(True)
            )
        )
        ids = [i for i in ids if i not in set(apart.scalars())]
        others = [q for i in ids if (q := await repo.get(conn, i)) is not None]
    closed = (QuestionStatus.REJECTED, QuestionStatus.BANNED)
    answered = [other for other in others if other.status not in closed]
    for other in answered:
        await moderation.answer(services, mod, other.id, text, attachments, reply_to)
    if answered:
        # The card was drawn when only its own question was answered: name the others now
        # (a later edit, after its delivery, may come before them or never).
        async with services.db.write() as conn:
            await cards.refresh(conn, services.settings, services.texts, question_id)
        services.wake_outbox()
    return outcome


async def answer_edit(
    services: Services, mod: Moderator, question_id: int, text: str, reply: int
) -> moderation.Outcome | None:
    """The moderator edited their reply that answered the card: its new text goes out as a
    correction, by ``answer`` (so to the card's group too, audited, kept, the card edited).

    None, and nothing sent, when the text is as the citizen already has it, or when that
    reply never answered (it lost to another moderator's answer): a second notice of the
    loss would tell the moderator nothing new."""
    before = await moderation.sent_by_reply(services, question_id, reply)
    if before is None or repo.storable(text) == before:
        return None
    return await answer(services, mod, question_id, text, reply_to=reply)
