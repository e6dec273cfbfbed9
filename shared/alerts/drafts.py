"""A moderator sends an alert from the admin chat with a short dialogue: topic, text,
an optional photo, urgent or not, then a preview (how many subscribers on which platform
will get it) with an explicit «Отправить».

The dialogue's state is a row in ``alert_drafts`` (one per moderator), so a restart in
the middle of it loses nothing; a photo is stored at once, owned by the draft.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from shared import callbacks
from shared.alerts import feature, service
from shared.alerts.model import Press
from shared.alerts.topics import Topic
from shared.callbacks import CallbackToken
from shared.clock import utcnow
from shared.hotlines.model import Moderator
from shared.hotlines.moderation import notify
from shared.services import Services
from shared.storage import media
from shared.storage.media import MediaOwner, NewFile
from shared.storage.schema import alert_drafts
from shared.storage.schema import media as media_table

YES = {"да", "yes", "срочно", "+"}
NO = {"нет", "no", "-"}


class Step(StrEnum):
    """What the moderator's next message answers (``alert_drafts.step``)."""

    TOPIC = "topic"  # the topic: its number in the list, or its title
    TEXT = "text"  # the notice's text
    PHOTO = "photo"  # a photo, or «-» for none
    URGENT = "urgent"  # «да» or «нет»
    CONFIRM = "confirm"  # the preview is out; its buttons send or drop the alert


async def active(services: Services, user_id: int) -> bool:
    async with services.db.read() as conn:
        row = await conn.execute(
            select(alert_drafts.c.step).where(alert_drafts.c.user_id == user_id)
        )
        return row.first() is not None


async def _save(
    conn: AsyncConnection, user_id: int, chat_id: int, step: Step, data: dict[str, Any]
) -> None:
    await conn.execute(delete(alert_drafts).where(alert_drafts.c.user_id == user_id))
    await conn.execute(
        alert_drafts.insert().values(
            user_id=user_id, chat_id=chat_id, step=step, data=data, updated_at=utcnow()
        )
    )


async def _drop(conn: AsyncConnection, user_id: int) -> None:
    await conn.execute(delete(alert_drafts).where(alert_drafts.c.user_id == user_id))


async def begin(services: Services, mod: Moderator, chat_id: int) -> None:
    topics = feature(services).topics
    listing = "\n".join(f"{n}. {t.title}" for n, t in enumerate(topics, 1))
    async with services.db.write() as conn:
        await _save(conn, mod.id, chat_id, Step.TOPIC, {})
        await notify(conn, services, services.texts("alerts.ask_topic", topics=listing))
    services.wake_outbox()


async def cancel(services: Services, mod: Moderator) -> None:
    async with services.db.write() as conn:
        await _drop(conn, mod.id)
        await notify(conn, services, services.texts("alerts.cancelled"))
    services.wake_outbox()


@dataclass(frozen=True)
class Reply:
    """What the dialogue says back to one of the moderator's messages."""

    prompt: str
    step: Step | None = None  # where the dialogue goes; None: it stays, asking again
    data: dict[str, Any] = field(default_factory=dict)  # what the answer added


async def step(
    services: Services,
    mod: Moderator,
    text: str,
    photo: NewFile | None = None,
    reply_to: int | None = None,
) -> None:
    """The moderator's answer to the dialogue's current question."""
    value = text.strip()
    async with services.db.write() as conn:
        row = (
            await conn.execute(select(alert_drafts).where(alert_drafts.c.user_id == mod.id))
        ).first()
        if row is None or Step(row.step) is Step.CONFIRM:
            return  # no dialogue, or the preview's buttons answer it
        data = dict(row.data or {})
        reply = await _answer(conn, services, mod, Step(row.step), value, photo)
        data.update(reply.data)
        if reply.step is not None:
            await _save(conn, mod.id, int(row.chat_id), reply.step, data)
        if reply.step is Step.CONFIRM:
            await _preview(conn, services, mod, data)
        else:
            await notify(conn, services, reply.prompt, reply_to=reply_to)
    services.wake_outbox()


async def _answer(
    conn: AsyncConnection,
    services: Services,
    mod: Moderator,
    current: Step,
    value: str,
    photo: NewFile | None,
) -> Reply:
    texts = services.texts
    if current is Step.TOPIC:
        topic = feature(services).find_topic(value)
        if topic is None:
            return Reply(texts("alerts.no_topic", topic=value, topics=_titles(services)))
        return Reply(texts("alerts.ask_text", topic=topic.title), Step.TEXT, {"topic": topic.key})
    if current is Step.TEXT:
        if not value:
            return Reply(texts("alerts.empty"))
        return Reply(texts("alerts.ask_photo"), Step.PHOTO, {"text": value})
    if current is Step.PHOTO:
        if photo is not None:
            ids = await media.add_all(conn, MediaOwner.ALERT_DRAFT, mod.id, [photo])
            return Reply(texts("alerts.ask_urgent"), Step.URGENT, {"media": ids})
        if value not in NO:
            return Reply(texts("alerts.ask_photo"))
        return Reply(texts("alerts.ask_urgent"), Step.URGENT)
    word = value.lower()  # Step.URGENT
    if word not in YES | NO:
        return Reply(texts("alerts.bad_yes_no"))
    return Reply("", Step.CONFIRM, {"urgent": word in YES})


def _titles(services: Services) -> str:
    return ", ".join(f"«{t.title}»" for t in feature(services).topics)


def _topic(services: Services, key: str) -> Topic:
    found = next((t for t in feature(services).topics if t.key == key), None)
    return found if found is not None else Topic(key, key)


async def _preview(
    conn: AsyncConnection, services: Services, mod: Moderator, data: dict[str, Any]
) -> None:
    texts = services.texts
    topic = _topic(services, data["topic"])
    seen = await service.preview(services, topic)
    platforms = ", ".join(
        texts("alerts.preview_platform", platform=texts(f"alerts.platforms.{p}"), count=yes)
        for p, (yes, _) in seen.platforms.items()
    )
    parts = [
        texts(
            "alerts.preview",
            topic=topic.title,
            urgent=texts("alerts.preview_urgent") if data.get("urgent") else "",
            text=data["text"],
            reachable=seen.reachable,
            platforms=platforms,
        )
    ]
    unreachable = sum(no for _, no in seen.platforms.values())
    if unreachable:
        parts.append(texts("alerts.preview_unreachable", count=unreachable))
    if data.get("media"):
        parts.append(texts("alerts.preview_photo"))
    buttons = [
        [
            await callbacks.button(conn, texts("alerts.btn_confirm"), Press.CONFIRM, mod.id),
            await callbacks.button(conn, texts("alerts.btn_discard"), Press.DISCARD, mod.id),
        ]
    ]
    await notify(conn, services, "\n".join(parts), buttons=buttons)


async def confirm(services: Services, mod: Moderator, token: CallbackToken) -> int | None:
    """«Отправить» under the preview: the alert is created and its notices queued."""
    if token.target_id != mod.id:
        return None
    async with services.db.write() as conn:
        row = (
            await conn.execute(select(alert_drafts).where(alert_drafts.c.user_id == mod.id))
        ).first()
        if row is None or row.step != Step.CONFIRM:
            return None  # pressed twice, or a preview of a dialogue since cancelled
        data = dict(row.data or {})
        await _drop(conn, mod.id)
    alert_id = await service.create(
        services,
        topic=_topic(services, data["topic"]),
        text=data["text"],
        media_ids=[int(i) for i in data.get("media", [])],
        urgent=bool(data.get("urgent")),
        actor=mod.actor,
    )
    async with services.db.write() as conn:
        await notify(conn, services, services.texts("alerts.started", id=alert_id))
    await service.enqueue_all(services, alert_id)
    return alert_id


async def discard(services: Services, mod: Moderator, token: CallbackToken) -> None:
    if token.target_id != mod.id:
        return
    async with services.db.write() as conn:
        await conn.execute(
            update(media_table)
            .where(
                media_table.c.owner_type == MediaOwner.ALERT_DRAFT, media_table.c.owner_id == mod.id
            )
            .values(data=None)
        )
        await _drop(conn, mod.id)
        await notify(conn, services, services.texts("alerts.cancelled"))
    services.wake_outbox()
