"""What moderators do with questions: take, reject, mark publishable, answer, queue, ban.

Each action is one ``db.write()`` transaction: the status change (conditional, so the
first of two moderators wins), the audit entry, the citizen's message and the card edit
are committed together or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection

from config.settings import ADMIN_PLATFORM
from shared import callbacks
from shared.clock import utcnow
from shared.domain import OutboxAction, OutboxState, QuestionStatus
from shared.errors import InvalidInput, NotFound
from shared.hotlines import cards, similar
from shared.hotlines import questions as repo
from shared.hotlines.batching import tx_cache
from shared.hotlines.campaigns import open_now, tally
from shared.hotlines.model import (
    PRIORITY_CITIZEN,
    PRIORITY_MODERATOR,
    PRIORITY_SUMMARY,
    Attachment,
    Moderator,
)
from shared.hotlines.refs import HotlineRef
from shared.outbox import pending, store
from shared.outbox.dispatcher import Hook
from shared.outbox.model import OutboxItem, OutboxMessage
from shared.outbox.payload import Button, message
from shared.richtext import Document, Span, from_plain, join, paragraph
from shared.services import Services
from shared.storage import audit, citizens, media
from shared.storage.media import MediaOwner
from shared.storage.schema import answers
from shared.texts import Texts


class AnswerResult(StrEnum):
    """What became of a moderator's reply to a question card."""

    ANSWERED = "answered"  # the first answer: sent to the citizen
    CORRECTED = "corrected"  # the same moderator again: sent as a correction
    TAKEN_BY_OTHER = "taken_by_other"  # another moderator answered first: not sent
    REJECTED = "rejected"  # the question was rejected: not sent


# The audit log's action for an answer, and for a correction (``is_correction``).
ANSWER_ACTIONS = {False: "question.answer", True: "question.correct"}
# The key of a /queue page's payload ``extra`` that lists the questions it quotes.
QUOTES = "quotes"


@dataclass(frozen=True)
class Outcome:
    result: AnswerResult
    winner: str | None = None


@dataclass(frozen=True)
class Body:
    """An answer's words as the citizen gets them (``doc``: rich text, its links and bold
    kept, each platform rendering them its way) and as they are kept (``text``: plain,
    each link's address written out, as VK shows it), so the card, the digest and the
    public pages, which read the plain text, lose no address."""

    text: str
    doc: Document


def body(text: str | Document) -> Body:
    """A moderator's reply as an answer's body: plain text is taken literally."""
    if isinstance(text, str):
        kept = repo.storable(text)
        return Body(kept, from_plain(kept))
    doc = repo.storable_doc(text)
    return Body(doc.plain, doc)


@dataclass(frozen=True)
class Sending:
    """How an answer goes out: the moderator's reply it came from, the outbox row already
    taking it to the citizen (if another question of theirs in a group brought it), and
    the citizen's questions it answers."""

    reply_to: int | None
    delivered_by: int | None
    tickets: tuple[int, ...]


async def notify(
    conn: AsyncConnection,
    services: Services,
    text: str | Document,
    *,
    reply_to: int | None = None,
    buttons: list[list[Button]] | None = None,
    quotes: list[int] | None = None,
) -> int | None:
    """A reply to moderators in the admin chat, ahead of the card backlog. ``quotes``: the
    questions whose text it quotes (a /queue page), for a withdrawal to find it."""
    chat = cards.admin_chat(services.settings)
    if chat is None:
        return None
    doc = from_plain(text) if isinstance(text, str) else text
    extra = {QUOTES: quotes} if quotes else None
    return await store.enqueue(
        conn,
        OutboxMessage(
            platform=ADMIN_PLATFORM,
            action=OutboxAction.SEND,
            destination=chat,
            payload=message(doc, buttons=buttons or [], reply_to=reply_to, extra=extra),
            priority=PRIORITY_MODERATOR,
            ref_type=HotlineRef.QUEUE if quotes else HotlineRef.MODERATION,
        ),
    )


def for_citizen(
    citizen: citizens.Citizen,
    doc: Document,
    *,
    ref_type: str,
    ref_id: int | None = None,
    media_ids: list[int] | None = None,
    buttons: list[list[Button]] | None = None,
) -> OutboxMessage:
    """A message to the citizen on the platform they wrote from."""
    return OutboxMessage(
        platform=citizen.platform,
        action=OutboxAction.SEND,
        destination=str(citizen.state_data.get("peer") or citizen.platform_user_id),
        payload=message(doc, media=media_ids or [], buttons=buttons or []),
        priority=PRIORITY_CITIZEN,
        ref_type=ref_type,
        ref_id=ref_id,
        citizen_id=citizen.id,
    )


async def to_citizen(
    conn: AsyncConnection,
    citizen: citizens.Citizen,
    doc: Document,
    *,
    ref_type: str,
    ref_id: int | None = None,
    media_ids: list[int] | None = None,
    buttons: list[list[Button]] | None = None,
) -> int:
    found = for_citizen(
        citizen, doc, ref_type=ref_type, ref_id=ref_id, media_ids=media_ids, buttons=buttons
    )
    return await store.enqueue(conn, found)


async def _question(conn: AsyncConnection, question_id: int) -> repo.Question:
    question = await repo.get(conn, question_id)
    if question is None:
        raise NotFound(f"question {question_id}")
    return question


async def card_or_summary(
    conn: AsyncConnection,
    services: Services,
    question: repo.Question,
    known: tuple[citizens.Citizen, str | None] | None = None,
) -> None:
    """Card a new question, or, past the backlog threshold, count it in one summary.

    At most one summary waits in the outbox at a time; each new question past the
    threshold bumps its count instead of adding a message to the admin chat.
    """
    settings, texts = services.settings, services.texts
    await similar.index(conn, question.id, question.hotline_id, question.text)
    chat = cards.admin_chat(settings)
    if chat is None:
        return
    threshold = settings.hotline.card_backlog_threshold
    cache = tx_cache(conn)
    if "backlog" not in cache:
        cache["backlog"] = await cards.pending_cards(conn, chat, limit=threshold)
    if cache["backlog"] < threshold:
        await cards.enqueue_card(conn, settings, texts, question, known=known, later=True)
        cache["backlog"] += 1
        return
    if "summary" not in cache:
        waiting = await pending.payloads(conn, HotlineRef.BACKLOG.value, destination=chat)
        if waiting:
            summary_id, summary = waiting[0]
            cache["summary"] = (summary_id, int(summary.get("extra", {}).get("count", 0)))
    if "summary" in cache:
        summary_id, count = cache["summary"]
        count += 1
        doc = from_plain(texts("moderation.backlog", count=count))
        payload = message(doc, extra={"count": count})
        await pending.rewrite(conn, summary_id, payload, later=True)
        cache["summary"] = (summary_id, count)
        return
    count = await repo.count_uncarded_new(conn)
    doc = from_plain(texts("moderation.backlog", count=count))
    cache["summary"] = (
        await store.enqueue(
            conn,
            OutboxMessage(
                platform=ADMIN_PLATFORM,
                action=OutboxAction.SEND,
                destination=chat,
                payload=message(doc, extra={"count": count}),
                priority=PRIORITY_SUMMARY,
                ref_type=HotlineRef.BACKLOG,
            ),
        ),
        count,
    )


async def take(services: Services, mod: Moderator, question_id: int) -> str:
    texts = services.texts
    async with services.db.write() as conn:
        question = await _question(conn, question_id)
        mine = question.assigned_to in (None, mod.id)
        if question.status is QuestionStatus.ASSIGNED and not mine:
            return texts("moderation.already_taken")
        won = await repo.transition(
            conn,
            question_id,
            (QuestionStatus.NEW, QuestionStatus.ASSIGNED),
            status=QuestionStatus.ASSIGNED.value,
            assigned_to=mod.id,
            assigned_name=mod.name,
        )
        if not won:
            return texts("moderation.already_closed")
        await audit.record(conn, mod.actor, "question.take", "question", question_id, name=mod.name)
        await cards.refresh(conn, services.settings, texts, question_id)
    services.wake_outbox()
    return texts("moderation.taken", ticket=question_id)


async def toggle_publishable(services: Services, mod: Moderator, question_id: int) -> str:
    texts = services.texts
    async with services.db.write() as conn:
        question = await _question(conn, question_id)
        value = not question.publishable
        await repo.set_fields(conn, question_id, publishable=value)
        await audit.record(
            conn, mod.actor, "question.publishable", "question", question_id, value=value
        )
        await cards.refresh(conn, services.settings, texts, question_id)
    services.wake_outbox()
    return texts("moderation.publishable_on" if value else "moderation.publishable_off")


async def reject_menu(services: Services, mod: Moderator, question_id: int, show: bool) -> None:
    async with services.db.write() as conn:
        await _question(conn, question_id)
        await cards.refresh(conn, services.settings, services.texts, question_id, reasons=show)
    services.wake_outbox()


async def reject(services: Services, mod: Moderator, question_id: int, reason: str) -> str:
    texts = services.texts
    if reason not in cards.REASONS:
        raise InvalidInput(reason)
    async with services.db.write() as conn:
        question = await _question(conn, question_id)
        won = await repo.transition(
            conn,
            question_id,
            (QuestionStatus.NEW, QuestionStatus.ASSIGNED),
            status=QuestionStatus.REJECTED.value,
            reject_reason=reason,
        )
        if not won:
            return texts("moderation.already_closed")
        await audit.record(
            conn, mod.actor, "question.reject", "question", question_id, reason=reason
        )
        citizen = await citizens.get(conn, question.citizen_id)
        if citizen is not None:
            doc = from_plain(
                texts(
                    "citizen.rejected",
                    ticket=question_id,
                    reason=texts(f"citizen.reason_{reason}"),
                )
            )
            await to_citizen(conn, citizen, doc, ref_type=HotlineRef.REJECTION, ref_id=question_id)
        await cards.cancel_pending_cards(conn, question_id)
        await cards.refresh(conn, services.settings, texts, question_id)
    services.wake_outbox()
    return texts("moderation.rejected", ticket=question_id)


async def answer(
    services: Services,
    mod: Moderator,
    question_id: int,
    text: str | Document,
    attachments: tuple[Attachment, ...] = (),
    reply_to: int | None = None,
    delivered_by: int | None = None,
    tickets: Sequence[int] = (),
) -> Outcome:
    """The first answer wins; the winner's later replies are corrections.

    ``text``: the reply as rich text (links, bold), or plain text taken literally.

    ``delivered_by``: the outbox row already taking this reply to the same citizen (a group
    answer reaching their second question): the answer is recorded with it, not sent again.
    ``tickets``: every question of the citizen's this one message answers (a group answer),
    named in its header.
    """
    texts = services.texts
    words = body(text)
    async with services.db.write() as conn:
        question = await _question(conn, question_id)
        if question.status is QuestionStatus.REJECTED:
            await notify(conn, services, texts("moderation.answer_rejected"), reply_to=reply_to)
            services.wake_outbox()
            return Outcome(AnswerResult.REJECTED)
        won = await repo.transition(
            conn,
            question_id,
            (QuestionStatus.NEW, QuestionStatus.ASSIGNED, QuestionStatus.BANNED),
            status=QuestionStatus.ANSWERED.value,
            answered_at=utcnow(),
            assigned_to=question.assigned_to or mod.id,
        )
        if not won:
            lost = await _lost_to_another(conn, services, mod, question_id, reply_to)
            if lost is not None:
                services.wake_outbox()
                return lost
        sending = Sending(reply_to, delivered_by, tuple(tickets))
        await _record_answer(conn, services, mod, question, words, attachments, not won, sending)
    services.wake_outbox()
    return Outcome(AnswerResult.ANSWERED if won else AnswerResult.CORRECTED)


async def _lost_to_another(
    conn: AsyncConnection,
    services: Services,
    mod: Moderator,
    question_id: int,
    reply_to: int | None,
) -> Outcome | None:
    """Another moderator answered first: say who, to this one. None when it was this one
    (their reply is then a correction)."""
    first = next((a for a in await repo.answers_of(conn, question_id) if not a.is_correction), None)
    if first is not None and first.moderator_id == mod.id:
        return None
    winner = first.moderator_name if first else "?"
    notice = services.texts("moderation.answer_lost", ticket=question_id, name=winner)
    await notify(conn, services, notice, reply_to=reply_to)
    await audit.record(
        conn, mod.actor, "question.answer_lost", "question", question_id, winner=winner
    )
    return Outcome(AnswerResult.TAKEN_BY_OTHER, winner)


async def _record_answer(
    conn: AsyncConnection,
    services: Services,
    mod: Moderator,
    question: repo.Question,
    words: Body,
    attachments: tuple[Attachment, ...],
    correction: bool,
    sending: Sending,
) -> None:
    """Keep the answer, send it to the citizen, and bring the card up to date.

    The answer keeps the moderator's reply (``reply_to``, its message id in the admin
    chat): an edit of that message is matched to what it sent (``sent_by_reply``)."""
    texts, question_id = services.texts, question.id
    reply_to, delivered_by = sending.reply_to, sending.delivered_by
    answer_id = await repo.add_answer(
        conn,
        question_id=question_id,
        moderator_id=mod.id,
        moderator_name=mod.name,
        text=words.text,
        attachments=[],
        is_correction=correction,
        reply_message_id=reply_to,
    )
    media_ids = await media.add_all(conn, MediaOwner.ANSWER, answer_id, attachments)
    if media_ids:
        await conn.execute(
            update(answers).where(answers.c.id == answer_id).values(attachments=media_ids)
        )
    citizen = await citizens.get(conn, question.citizen_id)
    if delivered_by is not None:
        await repo.set_answer_outbox(conn, answer_id, delivered_by)
    elif citizen is not None:
        header = _header(texts, question_id, sending.tickets, correction)
        head = Document((paragraph(Span(header, bold=True)),))
        outbox_id = await to_citizen(
            conn,
            citizen,
            join(head, words.doc),
            ref_type=HotlineRef.ANSWER,
            ref_id=answer_id,
            media_ids=media_ids,
        )
        await repo.set_answer_outbox(conn, answer_id, outbox_id)
    action = ANSWER_ACTIONS[correction]
    await audit.record(
        conn, mod.actor, action, "question", question_id, answer_id=answer_id, reply=reply_to
    )
    await cards.cancel_pending_cards(conn, question_id)
    await cards.refresh(conn, services.settings, texts, question_id)


def _header(texts: Texts, question_id: int, tickets: Sequence[int], correction: bool) -> str:
    """«Ответ на ваш вопрос №5:», or «…на ваши вопросы №5, №7:» for a group answer that
    answers more than one of the citizen's questions."""
    numbers = sorted({question_id, *tickets})
    if len(numbers) == 1:
        key = "citizen.correction_header" if correction else "citizen.answer_header"
        return texts(key, ticket=question_id)
    key = "citizen.correction_header_many" if correction else "citizen.answer_header_many"
    return texts(key, tickets=", ".join(f"№{n}" for n in numbers))


async def send_queue(services: Services, after_id: int = 0, reply_to: int | None = None) -> None:
    """A /queue page to the admin chat, marked with the questions it quotes."""
    doc, buttons, quoted = await _queue(services, after_id)
    async with services.db.write() as conn:
        await notify(conn, services, doc, reply_to=reply_to, buttons=buttons, quotes=quoted)
    services.wake_outbox()


async def queue(services: Services, after_id: int = 0) -> tuple[Document, list[list[Button]]]:
    """A page of unanswered questions, oldest first, with a button for the next page."""
    doc, buttons, _ = await _queue(services, after_id)
    return doc, buttons


async def _queue(
    services: Services, after_id: int
) -> tuple[Document, list[list[Button]], list[int]]:
    texts, settings = services.texts, services.settings
    size = settings.hotline.queue_page_size
    async with services.db.write() as conn:
        page = await repo.waiting_page(conn, after_id, size + 1)
        more = len(page) > size
        page = page[:size]
        if not page:
            return from_plain(texts("moderation.queue_empty")), [], []
        blocks = [paragraph(Span(texts("moderation.queue_title"), bold=True))]
        topics: dict[int | None, str] = {}
        for q in page:
            if q.hotline_id not in topics:
                topic = await repo.topic_of(conn, q.hotline_id)
                topics[q.hotline_id] = topic or texts("moderation.general")
            status = texts(f"moderation.queue_{q.status.value}")
            preview = " ".join(q.text.split())
            if len(preview) > 80:
                preview = preview[:79] + "…"
            blocks.append(
                paragraph(
                    texts(
                        "moderation.queue_line",
                        ticket=q.id,
                        topic=topics[q.hotline_id],
                        status=status,
                        text=preview,
                    )
                )
            )
        buttons: list[list[Button]] = []
        if more:
            more_button = await callbacks.button(
                conn, texts("moderation.btn_more"), "mod.queue", page[-1].id
            )
            buttons.append([more_button])
    return Document(tuple(blocks)), buttons, [q.id for q in page]


async def next_question(services: Services, mod: Moderator, reply_to: int | None = None) -> None:
    """Hand the moderator the oldest question nobody has taken, as a fresh card."""
    texts = services.texts
    async with services.db.write() as conn:
        after = 0
        while True:
            question = await repo.oldest_new(conn, after)
            if question is None:
                await notify(conn, services, texts("moderation.next_empty"), reply_to=reply_to)
                break
            won = await repo.transition(
                conn,
                question.id,
                (QuestionStatus.NEW,),
                status=QuestionStatus.ASSIGNED.value,
                assigned_to=mod.id,
                assigned_name=mod.name,
            )
            if not won:
                after = question.id
                continue
            await audit.record(
                conn, mod.actor, "question.next", "question", question.id, name=mod.name
            )
            await cards.cancel_pending_cards(conn, question.id)
            await cards.refresh(conn, services.settings, texts, question.id)
            fresh = await repo.get(conn, question.id)
            assert fresh is not None
            await cards.enqueue_card(
                conn,
                services.settings,
                texts,
                fresh,
                priority=PRIORITY_MODERATOR,
                reply_to=reply_to,
            )
            break
    services.wake_outbox()


async def stats(services: Services) -> str:
    texts = services.texts
    async with services.db.read() as conn:
        by = await repo.count_by_status(conn)
        lines = [
            texts(
                "moderation.stats_total",
                new=by.get(QuestionStatus.NEW.value, 0),
                assigned=by.get(QuestionStatus.ASSIGNED.value, 0),
                answered=by.get(QuestionStatus.ANSWERED.value, 0),
                rejected=by.get(QuestionStatus.REJECTED.value, 0),
                banned=by.get(QuestionStatus.BANNED.value, 0),
            )
        ]
        for hotline in await open_now(conn):
            t = await tally(conn, hotline.id)
            lines.append(
                texts(
                    "moderation.stats_hotline",
                    topic=hotline.topic,
                    received=t.received,
                    answered=t.answered,
                    rejected=t.rejected,
                    waiting=t.waiting,
                )
            )
        chat = cards.admin_chat(services.settings)
        backlog = await cards.pending_cards(conn, chat) if chat else 0
        lines.append(
            texts(
                "moderation.stats_backlog",
                backlog=backlog,
                uncarded=await repo.count_uncarded_new(conn),
                banned=await repo.citizens_banned(conn),
            )
        )
    return "\n".join(lines)


async def set_ban(services: Services, mod: Moderator, question_id: int, banned: bool) -> str:
    """Ban (or unban) whoever asked the question: their messages are kept, not carded.

    An unban returns what was kept during the ban to the queue as new questions, carded
    under the usual backlog rule: a ban lifted is usually a ban regretted.
    """
    texts = services.texts
    returned = 0
    async with services.db.write() as conn:
        question = await _question(conn, question_id)
        await citizens.set_fields(conn, question.citizen_id, banned=banned)
        action = "citizen.ban" if banned else "citizen.unban"
        if not banned:
            for kept in await repo.held(conn, question.citizen_id):
                back = (QuestionStatus.BANNED,)
                if await repo.transition(conn, kept.id, back, status=QuestionStatus.NEW.value):
                    await card_or_summary(conn, services, replace(kept, status=QuestionStatus.NEW))
                    returned += 1
        await audit.record(
            conn,
            mod.actor,
            action,
            "citizen",
            question.citizen_id,
            question=question_id,
            returned=returned,
        )
    services.wake_outbox()
    if banned:
        return texts("moderation.banned", ticket=question_id)
    if returned:
        return texts("moderation.unbanned_returned", ticket=question_id, count=returned)
    return texts("moderation.unbanned", ticket=question_id)


async def question_for_reply(services: Services, chat_id: int, message_id: int) -> int | None:
    async with services.db.read() as conn:
        return await cards.question_of_message(conn, chat_id, message_id)


async def sent_by_reply(services: Services, question_id: int, reply: int) -> str | None:
    """The text the citizen last got from the moderator's message ``reply`` to the card
    (its answer, or its latest correction), or None when that message sent them nothing
    (it lost to another moderator's answer, or came before replies were written down).

    An edit of the message is compared with it: an edit that leaves the text as it was
    (Telegram also reports edits of things the bot does not use) is not sent again."""
    async with services.db.read() as conn:
        found = await repo.last_answer_by_reply(conn, question_id, reply)
    return found.text if found is not None else None


async def denied(services: Services, actor: str, what: str) -> None:
    """Somebody who is not a moderator tried to act: ignored, but written down."""
    async with services.db.write() as conn:
        await audit.record(conn, actor, "denied", None, None, what=what)


# --- outbox hooks ---------------------------------------------------------------------


def hooks(services: Services) -> dict[str, Hook]:
    async def on_card(conn: AsyncConnection, item: OutboxItem) -> None:
        owed = await cards.take_owed(conn, item.id)
        if item.state is OutboxState.SENT and item.ref_id is not None:
            await cards.remember(conn, item)
            # The card shows the question as it was when queued: refreshed if it has
            # moved on since, or if a refresh came while the card's messages were unknown.
            question = await repo.get(conn, item.ref_id)
            if question is not None and (
                owed is not None or question.status is not QuestionStatus.NEW
            ):
                await cards.refresh(
                    conn, services.settings, services.texts, item.ref_id, reasons=bool(owed)
                )
        elif item.ref_id is not None:
            await repo.set_fields(conn, item.ref_id, carded=False)

    async def on_card_media(conn: AsyncConnection, item: OutboxItem) -> None:
        if item.state is OutboxState.SENT and item.ref_id is not None:
            await cards.remember(conn, item, only_media=True)

    async def on_card_edit(conn: AsyncConnection, item: OutboxItem) -> None:
        if item.state is OutboxState.SENT:
            await cards.remember_edit(conn, item)

    async def on_answer(conn: AsyncConnection, item: OutboxItem) -> None:
        if item.ref_id is None:
            return
        found = await repo.get_answer(conn, item.ref_id)
        if found is not None:
            await cards.refresh(conn, services.settings, services.texts, found.question_id)

    return {
        HotlineRef.CARD: on_card,
        HotlineRef.CARD_MEDIA: on_card_media,
        HotlineRef.CARD_EDIT: on_card_edit,
        HotlineRef.ANSWER: on_answer,
    }
