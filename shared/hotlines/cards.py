"""A question's card in the admin chat: rendered from the database, never from memory.

Every change (taken, answered, delivered, rejected) re-renders the card and edits each
copy of it in place through the outbox; the card's messages are remembered so a reply
to any of them answers the question.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from config.settings import ADMIN_PLATFORM, Settings
from shared import callbacks
from shared.clock import utcnow
from shared.delivered import Delivered, Role
from shared.domain import OutboxAction, OutboxState, QuestionStatus
from shared.hotlines import questions as repo
from shared.hotlines import similar_card
from shared.hotlines.model import PRIORITY_CARD, PRIORITY_CARD_EDIT
from shared.hotlines.refs import HotlineRef
from shared.hotlines.waits import waited
from shared.outbox import pending, refs, store
from shared.outbox.model import OutboxItem, OutboxMessage
from shared.outbox.payload import Button, MessagePayload, edit, message
from shared.richtext import Block, Document, Span, from_plain, paragraph
from shared.storage import citizens
from shared.storage.schema import card_messages, card_refresh_owed
from shared.texts import Texts
from shared.typed import shows_anything

REASONS = ("offtopic", "rude", "duplicate", "spam")
# A card send in these states has no known messages yet: a refresh meanwhile is owed.
UNRECORDED = (OutboxState.PENDING, OutboxState.SENDING)


def admin_chat(settings: Settings) -> str | None:
    chat = settings.telegram.admin_chat_id
    return None if chat is None or not settings.telegram.enabled else str(chat)


def shown_name(settings: Settings, texts: Texts, name: str | None) -> str:
    """The citizen's name as the card shows it; a name of nothing to read (empty, or only
    zero-width and direction marks) is «без имени», as none at all."""
    if not name or not shows_anything(name):
        return texts("moderation.no_name")
    if settings.hotline.show_first_name_only:
        return next(word for word in name.split() if shows_anything(word))
    return name


async def render(
    conn: AsyncConnection,
    settings: Settings,
    texts: Texts,
    question: repo.Question,
    *,
    reasons: bool = False,
    known: tuple[citizens.Citizen, str | None] | None = None,
) -> tuple[Document, list[list[Button]]]:
    """The card's text and buttons; ``known`` (citizen, topic) spares a fresh card lookups."""
    if known is not None:
        citizen: citizens.Citizen | None = known[0]
        topic = known[1]
    else:
        citizen = await citizens.get(conn, question.citizen_id)
        topic = await repo.topic_of(conn, question.hotline_id)
    platform = texts(f"moderation.platform_{citizen.platform if citizen else ADMIN_PLATFORM}")
    head = texts("moderation.card_title", ticket=question.id)
    where = topic if topic is not None else texts("moderation.general")
    blocks: list[Block] = [
        paragraph(Span(head, bold=True), " · ", where),
        paragraph(
            texts(
                "moderation.card_meta",
                platform=platform,
                name=shown_name(settings, texts, citizen.display_name if citizen else None),
            )
        ),
    ]
    if len(question.text) > settings.hotline.max_question_length:
        note = texts("moderation.long_question", length=len(question.text))
        blocks.append(paragraph(Span(note, italic=True)))
    body = from_plain(question.text)
    if body.is_empty():
        body = Document((paragraph(Span(texts("moderation.photos_only"), italic=True)),))
    blocks.extend(body.blocks)
    grouping = await similar_card.view(conn, settings, question, fresh=known is not None)
    blocks.extend(similar_card.lines(texts, grouping))
    if known is None:
        blocks.extend(await _status(conn, texts, settings, question, citizen))
    buttons = await _buttons(conn, texts, question, reasons)
    if not reasons:
        buttons.extend(await similar_card.buttons(conn, texts, grouping))
    return Document(tuple(blocks)), buttons


async def _status(
    conn: AsyncConnection,
    texts: Texts,
    settings: Settings,
    question: repo.Question,
    citizen: citizens.Citizen | None,
) -> list[Block]:
    lines: list[Block] = []
    tz = settings.tz
    if question.publishable:
        lines.append(paragraph(texts("moderation.status_publishable")))
    if question.status is QuestionStatus.ASSIGNED and question.assigned_to is not None:
        taker = question.assigned_name or str(question.assigned_to)
        lines.append(paragraph(texts("moderation.status_taken", name=taker)))
    if question.status is QuestionStatus.REJECTED:
        reason = texts(f"moderation.reason_{question.reject_reason or 'offtopic'}")
        lines.append(paragraph(Span(texts("moderation.status_rejected", reason=reason), bold=True)))
    if question.status is QuestionStatus.BANNED:
        lines.append(paragraph(texts("moderation.status_banned")))
    for answer in await repo.answers_of(conn, question.id):
        when = answer.created_at.astimezone(tz).strftime("%d.%m %H:%M")
        key = f"moderation.status_{'corrected' if answer.is_correction else 'answered'}"
        lines.append(paragraph(Span(texts(key, name=answer.moderator_name, time=when), bold=True)))
        lines.extend(from_plain(answer.text).blocks)
        delivery = await _delivery(conn, texts, answer.outbox_id)
        if delivery:
            lines.append(paragraph(Span(delivery, italic=True)))
    if citizen is not None and not citizen.reachable:
        lines.append(paragraph(Span(texts("moderation.status_unreachable"), bold=True)))
    lines.extend(await _wait(conn, texts, question))
    return lines


async def _wait(conn: AsyncConnection, texts: Texts, question: repo.Question) -> list[Block]:
    """How long the question has waited (so far, or until its first answer)."""
    if question.status in (QuestionStatus.NEW, QuestionStatus.ASSIGNED):
        line = texts("deadlines.waiting", waited=waited(utcnow() - question.created_at, texts))
        return [paragraph(Span(line, italic=True))]
    given = await repo.answers_of(conn, question.id)
    if question.status is QuestionStatus.ANSWERED and given:
        spent = waited(given[0].created_at - question.created_at, texts)
        return [paragraph(Span(texts("deadlines.waited", waited=spent), italic=True))]
    return []


async def _delivery(conn: AsyncConnection, texts: Texts, outbox_id: int | None) -> str | None:
    if outbox_id is None:
        return None
    item = await store.get(conn, outbox_id)
    if item is None:
        return None
    if item.state is OutboxState.SENT:
        return texts("moderation.delivery_sent")
    if item.state is OutboxState.FAILED:
        if item.progress.get("unreachable"):
            return texts("moderation.delivery_unreachable")
        return texts("moderation.delivery_failed", reason=item.error or "")
    if item.state is OutboxState.UNKNOWN:
        return texts("moderation.delivery_unknown")
    if item.state is OutboxState.HELD:
        return texts("moderation.delivery_held")
    return texts("moderation.delivery_pending")


async def _buttons(
    conn: AsyncConnection, texts: Texts, question: repo.Question, reasons: bool
) -> list[list[Button]]:
    qid = question.id
    if question.status in (QuestionStatus.REJECTED, QuestionStatus.BANNED):
        return []
    if reasons:
        rows = [
            [await callbacks.button(conn, texts(f"moderation.reason_{r}"), "mod.reject", qid, r=r)]
            for r in REASONS
        ]
        rows.append([await callbacks.button(conn, texts("moderation.btn_back"), "mod.back", qid)])
        return rows
    mark = "moderation.btn_unpublishable" if question.publishable else "moderation.btn_publishable"
    publish = await callbacks.button(conn, texts(mark), "mod.publishable", qid)
    if question.status is QuestionStatus.ANSWERED:
        return [[publish]]
    take = await callbacks.button(conn, texts("moderation.btn_take"), "mod.take", qid)
    reject = await callbacks.button(conn, texts("moderation.btn_reject"), "mod.reject_menu", qid)
    return [[take, publish], [reject]]


async def enqueue_card(
    conn: AsyncConnection,
    settings: Settings,
    texts: Texts,
    question: repo.Question,
    *,
    priority: int = PRIORITY_CARD,
    reply_to: int | None = None,
    known: tuple[citizens.Citizen, str | None] | None = None,
    later: bool = False,
) -> int | None:
    """Queue the question's card; ``later`` when the caller needs no id (intake)."""
    chat = admin_chat(settings)
    if chat is None:
        return None
    doc, buttons = await render(conn, settings, texts, question, known=known)
    card = OutboxMessage(
        platform=ADMIN_PLATFORM,
        action=OutboxAction.SEND,
        destination=chat,
        payload=message(doc, buttons=buttons, media=question.attachments, reply_to=reply_to),
        priority=priority,
        ref_type=HotlineRef.CARD,
        ref_id=question.id,
    )
    item_id = None
    if later:
        await store.enqueue_later(conn, card)
    else:
        item_id = await store.enqueue(conn, card)
    if not question.carded:
        await repo.set_fields(conn, question.id, carded=True)
    return item_id


async def enqueue_more_media(
    conn: AsyncConnection,
    settings: Settings,
    texts: Texts,
    question_id: int,
    media_ids: list[int],
) -> None:
    """Photos that joined a question after its card went out follow it, as a reply to it.

    A Telegram album arrives as separate messages, and the card may leave between them.
    Replying to these photos answers the question, like replying to the card.
    """
    chat = admin_chat(settings)
    if chat is None or not media_ids:
        return
    first = await conn.execute(
        select(func.min(card_messages.c.message_id)).where(
            card_messages.c.question_id == question_id,
            card_messages.c.role.in_(["text", "caption"]),
        )
    )
    reply_to = first.scalar_one_or_none()
    doc = from_plain(texts("moderation.more_media", ticket=question_id))
    await store.enqueue(
        conn,
        OutboxMessage(
            platform=ADMIN_PLATFORM,
            action=OutboxAction.SEND,
            destination=chat,
            payload=message(doc, media=media_ids, reply_to=reply_to),
            priority=PRIORITY_CARD,
            ref_type=HotlineRef.CARD_MEDIA,
            ref_id=question_id,
        ),
    )


async def refresh(
    conn: AsyncConnection,
    settings: Settings,
    texts: Texts,
    question_id: int,
    *,
    reasons: bool = False,
) -> None:
    """Edit every copy of the question's card to show its current state.

    Each edit targets its card: it goes out after the card's earlier edits, against the
    messages the card has by then, and skips the messages that already show this. A card
    whose send is not recorded yet (queued, or its call out) has no known messages: its
    refresh is owed, and made when the send's outcome is (:func:`take_owed`).
    """
    chat = admin_chat(settings)
    question = await repo.get(conn, question_id)
    if chat is None or question is None:
        return
    rows = await conn.execute(
        select(card_messages)
        .where(card_messages.c.question_id == question_id)
        .order_by(card_messages.c.message_id)
    )
    cards: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        if row.role in ("text", "caption"):
            cards[row.card_outbox_id].append(row)
    await _owe_unrecorded(conn, question_id, set(cards), reasons)
    if not cards:
        return
    doc, buttons = await render(conn, settings, texts, question, reasons=reasons)
    for card_id, parts in cards.items():
        caption = any(p.role == "caption" for p in parts)
        await store.enqueue(
            conn,
            OutboxMessage(
                platform=ADMIN_PLATFORM,
                action=OutboxAction.EDIT,
                destination=str(parts[0].chat_id),
                payload=edit(
                    [p.message_id for p in parts],
                    doc,
                    buttons=buttons,
                    caption=caption,
                    extra={"card": card_id},
                    target=card_id,
                ),
                priority=PRIORITY_CARD_EDIT,
                ref_type=HotlineRef.CARD_EDIT,
                ref_id=question_id,
            ),
        )


async def _owe_unrecorded(
    conn: AsyncConnection, question_id: int, recorded: set[int], reasons: bool
) -> None:
    """Note a refresh owed to each of the question's cards whose send is under way."""
    for item in await store.by_ref(conn, HotlineRef.CARD.value, question_id):
        if item.id in recorded or item.state not in UNRECORDED:
            continue
        changed = await conn.execute(
            update(card_refresh_owed)
            .where(card_refresh_owed.c.card_outbox_id == item.id)
            .values(reasons=reasons)
        )
        if changed.rowcount == 0:
            await conn.execute(
                card_refresh_owed.insert().values(
                    card_outbox_id=item.id, question_id=question_id, reasons=reasons
                )
            )


async def take_owed(conn: AsyncConnection, card_outbox_id: int) -> bool | None:
    """The refresh owed to this card, if any, forgotten as it is taken: whether it showed
    the reasons to reject (None: nothing owed)."""
    found = await conn.execute(
        delete(card_refresh_owed)
        .where(card_refresh_owed.c.card_outbox_id == card_outbox_id)
        .returning(card_refresh_owed.c.reasons)
    )
    reasons = found.scalar_one_or_none()
    return None if reasons is None else bool(reasons)


async def question_of_message(conn: AsyncConnection, chat_id: int, message_id: int) -> int | None:
    row = await conn.execute(
        select(card_messages.c.question_id).where(
            card_messages.c.chat_id == chat_id, card_messages.c.message_id == message_id
        )
    )
    value = row.scalar_one_or_none()
    return int(value) if value is not None else None


# How the card's table names each kind of message a send made.
CARD_ROLE = {Role.TEXT: "text", Role.CAPTION: "caption", Role.MEDIA: "media"}


def _delivered(item: OutboxItem) -> Delivered:
    """What the send or the edit made, as the sender typed it (older rows' shapes too)."""
    return Delivered.from_dict(item.result) or Delivered()


async def remember(conn: AsyncConnection, item: OutboxItem, only_media: bool = False) -> None:
    """A card went out: map each of its messages to the question, so a reply to any of
    them answers it. ``only_media``: photos sent after the card, never edited as one."""
    chat = int(item.destination)
    for sent in _delivered(item).messages:
        role = CARD_ROLE.get(sent.role, "media") if not only_media else "media"
        await conn.execute(
            card_messages.insert().values(
                chat_id=chat,
                message_id=int(sent.id),
                question_id=item.ref_id,
                card_outbox_id=item.id,
                role=role,
            )
        )


async def remember_edit(conn: AsyncConnection, item: OutboxItem) -> None:
    """An edit may split the card differently: keep the messages it left."""
    card_id = item.payload.get("extra", {}).get("card")
    if card_id is None or not item.result:
        return
    chat = int(item.destination)
    await conn.execute(
        delete(card_messages).where(
            card_messages.c.card_outbox_id == card_id,
            card_messages.c.role.in_(["text", "caption"]),
        )
    )
    # The edit's payload says whether its first message is a caption: a row stored
    # before results were typed did not say it in its result.
    caption = MessagePayload.from_dict(item.payload).caption
    for n, sent in enumerate(_delivered(item).messages):
        await conn.execute(
            card_messages.insert().values(
                chat_id=chat,
                message_id=int(sent.id),
                question_id=item.ref_id,
                card_outbox_id=card_id,
                role="caption" if sent.role is Role.CAPTION or (caption and n == 0) else "text",
            )
        )


async def pending_cards(conn: AsyncConnection, chat: str, limit: int | None = None) -> int:
    """Cards queued for the admin chat and not yet sent: the backlog (counted up to ``limit``,
    which is all the threshold check needs)."""
    return await pending.count(conn, HotlineRef.CARD.value, destination=chat, limit=limit)


async def cancel_pending_cards(conn: AsyncConnection, question_id: int) -> None:
    """A card handed out by /next makes the queued one for the same question redundant."""
    queued = [
        item.id
        for item in await store.by_ref(conn, HotlineRef.CARD.value, question_id)
        if item.state is OutboxState.PENDING
    ]
    await refs.cancel_by_ref(conn, HotlineRef.CARD.value, question_id)
    if queued:  # never sent, never recorded: nothing will take their owed refreshes
        await conn.execute(
            delete(card_refresh_owed).where(card_refresh_owed.c.card_outbox_id.in_(queued))
        )
