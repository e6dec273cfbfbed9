"""«Ответить всем»: one moderator's reply answers a question and the similar ones with it.

Pressing the button on a card fixes the group as the card shows it then (a question that
arrives later joins nobody's group unseen); a reply to that card is then sent to each
question of the group through ``moderation.answer``, each citizen on their own platform,
each question marked answered by that moderator. A moderator can take a question out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.domain import QuestionStatus
from shared.hotlines import cards, moderation, similar
from shared.hotlines import questions as repo
from shared.hotlines.model import Attachment, Moderator
from shared.richtext import Document
from shared.services import Services
from shared.storage import audit
from shared.storage.schema import callback_tokens, question_similar, questions

DELIVERED = (moderation.AnswerResult.ANSWERED, moderation.AnswerResult.CORRECTED)


async def _set_members(conn: AsyncConnection, question_id: int, ids: list[int] | None) -> None:
    await conn.execute(
        update(question_similar)
        .where(question_similar.c.question_id == question_id)
        .values(group_ids=ids)
    )


async def _shown(conn: AsyncConnection, question_id: int) -> list[int] | None:
    """The look-alikes the card's newest «Ответить всем» button showed (None: no such button
    kept, or one issued before buttons carried them)."""
    row = await conn.execute(
        select(callback_tokens.c.data)
        .where(
            callback_tokens.c.action == "mod.group_all",
            callback_tokens.c.target_id == question_id,
        )
        .order_by(callback_tokens.c.created_at.desc())
        .limit(1)
    )
    data = row.scalar_one_or_none()
    ids = (data or {}).get("ids")
    return [int(i) for i in ids] if ids is not None else None


async def _still_groupable(conn: AsyncConnection, question_id: int, ids: list[int]) -> list[int]:
    """Of ``ids``, in their order, those still waiting and not taken out of groups."""
    rows = await conn.execute(
        select(questions.c.id)
        .join(question_similar, question_similar.c.question_id == questions.c.id)
        .where(
            questions.c.id.in_(ids),
            questions.c.status.in_(similar.WAITING),
            question_similar.c.apart.is_(False),
        )
    )
    ok = set(rows.scalars())
    return [i for i in dict.fromkeys(ids) if i in ok and i != question_id]


async def answer_all(
    services: Services, mod: Moderator, question_id: int, shown: Sequence[int] | None = None
) -> str:
    """Fix the card's group: a reply to the card will answer all of it.

    The group is what the pressed button showed (``shown``, its token's data; without it,
    the card's newest such button), less the questions answered, rejected or taken out
    since: a question that arrived after the card was drawn joins no group unseen.
    """
    texts = services.texts
    async with services.db.write() as conn:
        question = await repo.get(conn, question_id)
        if question is None or question.status not in repo.OPEN:
            return texts("moderation.already_closed")
        seen = list(shown) if shown is not None else await _shown(conn, question_id)
        if seen is None:  # a button issued before buttons named their group
            threshold = services.settings.hotline.similar_threshold
            seen = [m.question_id for m in await similar.find(conn, question_id, threshold)]
        ids = await _still_groupable(conn, question_id, seen)
        if not ids:
            return texts("similar.none")
        await _set_members(conn, question_id, ids)
        await audit.record(conn, mod.actor, "question.group", "question", question_id, members=ids)
        await cards.refresh(conn, services.settings, texts, question_id)
    services.wake_outbox()
    return texts("similar.group_on", count=len(ids) + 1)


async def answer_one(services: Services, mod: Moderator, question_id: int) -> str:
    """Back to answering the card's question alone. Refused once the question is closed:
    a late press (the card still showed the button) must not dissolve the group an answer
    went to, or a correction would reach the card's own citizen only."""
    async with services.db.write() as conn:
        if not await _open(conn, question_id):
            return services.texts("moderation.already_closed")
        await _set_members(conn, question_id, None)
        await audit.record(conn, mod.actor, "question.ungroup", "question", question_id)
        await cards.refresh(conn, services.settings, services.texts, question_id)
    services.wake_outbox()
    return services.texts("similar.group_off")


async def take_out(services: Services, mod: Moderator, question_id: int, other_id: int) -> str:
    """Take ``other_id`` out of this card's group, and out of every group from now on.
    Refused, like ``answer_one``, once the card's question is closed."""
    async with services.db.write() as conn:
        if not await _open(conn, question_id):
            return services.texts("moderation.already_closed")
        ids = await similar.members(conn, question_id)
        if ids is not None and other_id in ids:
            ids.remove(other_id)
            await _set_members(conn, question_id, ids or None)
        # Out of every group, its own card's too: it is answered alone.
        await conn.execute(
            update(question_similar)
            .where(question_similar.c.question_id == other_id)
            .values(apart=True, group_ids=None)
        )
        await audit.record(
            conn, mod.actor, "question.take_out", "question", other_id, group=question_id
        )
        await cards.refresh(conn, services.settings, services.texts, question_id)
        await cards.refresh(conn, services.settings, services.texts, other_id)
    services.wake_outbox()
    return services.texts("similar.taken_out", ticket=other_id)


async def _open(conn: AsyncConnection, question_id: int) -> bool:
    """The question still waits for its answer (a group may still change)."""
    question = await repo.get(conn, question_id)
    return question is not None and question.status in repo.OPEN


@dataclass(frozen=True)
class _Reply:
    """One moderator's reply to a card, as each member of its group receives it."""

    mod: Moderator
    text: str | Document
    attachments: tuple[Attachment, ...]
    reply_to: int | None


async def answer(
    services: Services,
    mod: Moderator,
    question_id: int,
    text: str | Document,
    attachments: tuple[Attachment, ...] = (),
    reply_to: int | None = None,
) -> moderation.Outcome:
    """A reply to a card: to its question, and, if «Ответить всем» is on, to its group.

    Each question is answered (or corrected) by ``moderation.answer``, the one answer path;
    a question of the group rejected or taken out meanwhile is left alone, the card's own
    included (the rest still get the reply). A citizen who asked more than one of them
    gets the reply once, headed with all their questions: their other questions are
    answered and recorded with that same delivery.
    """
    reply = _Reply(mod, text, attachments, reply_to)
    async with services.db.read() as conn:
        anchor = await repo.get(conn, question_id)
        members = await _others(conn, question_id)
    asked = [q for q in (anchor, *members) if q is not None]
    outcome = await moderation.answer(
        services, mod, question_id, text, attachments, reply_to, tickets=_tickets(asked, anchor)
    )
    reached: dict[int, int] = {}  # citizen: the outbox row that takes them this reply
    if outcome.result in DELIVERED:
        async with services.db.read() as conn:
            sent = await _delivery(conn, question_id, mod)
        if anchor is not None and sent is not None:
            reached[anchor.citizen_id] = sent
    elif outcome.result is not moderation.AnswerResult.REJECTED or not members:
        return outcome
    await _to_members(services, reply, members, asked, reached)
    if outcome.result is moderation.AnswerResult.REJECTED:
        await _told_without_card(services, reply, question_id, members)
    elif members:
        # The card was drawn when only its own question was answered: name the others now
        # (a later edit, after its delivery, may come before them or never).
        async with services.db.write() as conn:
            await cards.refresh(conn, services.settings, services.texts, question_id)
        services.wake_outbox()
    return outcome


async def _to_members(
    services: Services,
    reply: _Reply,
    members: list[repo.Question],
    asked: list[repo.Question],
    reached: dict[int, int],
) -> None:
    """The reply to each member, once per citizen (``reached``: the delivery each has)."""
    for other in members:
        delivery = reached.get(other.citizen_id)
        done = await moderation.answer(
            services,
            reply.mod,
            other.id,
            reply.text,
            reply.attachments,
            reply.reply_to,
            delivered_by=delivery,
            tickets=_tickets(asked, other),
        )
        if delivery is None and done.result in DELIVERED:
            async with services.db.read() as conn:
                if (sent := await _delivery(conn, other.id, reply.mod)) is not None:
                    reached[other.citizen_id] = sent


async def _told_without_card(
    services: Services, reply: _Reply, question_id: int, members: list[repo.Question]
) -> None:
    """The card's own question was closed: say which of the group got the reply."""
    async with services.db.write() as conn:
        got = [q.id for q in members if await _mine(conn, q.id, reply.mod)]
        if got:
            done = ", ".join(f"№{n}" for n in got)
            note = services.texts("similar.group_without_card", ticket=question_id, tickets=done)
            await moderation.notify(conn, services, note, reply_to=reply.reply_to)
    services.wake_outbox()


async def _mine(conn: AsyncConnection, question_id: int, mod: Moderator) -> list[repo.Answer]:
    """This moderator's answers to the question, oldest first."""
    return [a for a in await repo.answers_of(conn, question_id) if a.moderator_id == mod.id]


async def _others(conn: AsyncConnection, question_id: int) -> list[repo.Question]:
    """The group a reply to this card answers besides it: not taken out, not closed."""
    ids = await similar.members(conn, question_id) or []
    apart = await conn.execute(
        select(question_similar.c.question_id).where(
            question_similar.c.question_id.in_(ids), question_similar.c.apart.is_(True)
        )
    )
    ids = [i for i in ids if i not in set(apart.scalars())]
    others = [q for i in ids if (q := await repo.get(conn, i)) is not None]
    closed = (QuestionStatus.REJECTED, QuestionStatus.BANNED)
    return [other for other in others if other.status not in closed]


def _tickets(asked: Sequence[repo.Question], whose: repo.Question | None) -> list[int]:
    """The numbers of this citizen's questions the one reply answers, for its header."""
    if whose is None:
        return []
    return sorted(q.id for q in asked if q.citizen_id == whose.citizen_id)


async def _delivery(conn: AsyncConnection, question_id: int, mod: Moderator) -> int | None:
    """The outbox row of this moderator's newest answer to the question (just recorded)."""
    mine = await _mine(conn, question_id, mod)
    return mine[-1].outbox_id if mine else None


async def answer_edit(
    services: Services, mod: Moderator, question_id: int, text: str | Document, reply: int
) -> moderation.Outcome | None:
    """The moderator edited their reply that answered the card: its new text goes out as a
    correction, by ``answer`` (so to the card's group too, audited, kept, the card edited).

    None, and nothing sent, when the text is as the citizen already has it, or when that
    reply never answered (it lost to another moderator's answer): a second notice of the
    loss would tell the moderator nothing new."""
    before = await moderation.sent_by_reply(services, question_id, reply)
    if before is None or moderation.body(text).text == before:
        return None
    return await answer(services, mod, question_id, text, reply_to=reply)
