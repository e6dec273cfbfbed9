"""A moderator sends an alert from the admin chat with a short dialogue: topic, text,
an optional photo, urgent or not, then a preview (how many subscribers on which platform
will get it) with an explicit «Отправить».

The dialogue's state is a row in ``alert_drafts`` (one per moderator), so a restart in
the middle of it loses nothing; a photo is stored at once, owned by the draft.
"""

from __future__ import annotations

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

DRAFT_OWNER = MediaOwner.ALERT_DRAFT
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


async def step(
    services: Services,
    mod: Moderator,
    text: str,
    photo: NewFile | None = None,
    reply_to: int | None = None,
) -> None:
    """The moderator's answer to the dialogue's current question."""
    texts = services.texts
    value = text.strip()
    async with services.db.write() as conn:
        row = (
            await conn.execute(select(alert_drafts).where(alert_drafts.c.user_id == mod.id))
        ).first()
        if row is None:
            return
        current, data, chat_id = Step(row.step), dict(row.data or {}), int(row.chat_id)
        if current is Step.TOPIC:
            topic = feature(services).find_topic(value)
            if topic is None:
                await notify(
                    conn,
                    services,
                    texts("alerts.no_topic", topic=value, topics=_titles(services)),
                    reply_to=reply_to,
                )
                services.wake_outbox()
                return
            data["topic"] = topic.key
            nxt, prompt = Step.TEXT, texts("alerts.ask_text", topic=topic.title)
        elif current is Step.TEXT:
            if not value:
                nxt, prompt = Step.TEXT, texts("alerts.empty")
            else:
                data["text"] = value
                nxt, prompt = Step.PHOTO, texts("alerts.ask_photo")
        elif current is Step.PHOTO:
            if photo is not None:
                ids = await media.add_all(conn, DRAFT_OWNER, mod.id, [photo])
                data["media"] = ids
            elif value not in NO:
                await notify(conn, services, texts("alerts.ask_photo"), reply_to=reply_to)
                services.wake_outbox()
                return
            nxt, prompt = Step.URGENT, texts("alerts.ask_urgent")
        elif current is Step.URGENT:
            word = value.lower()
            if word not in YES | NO:
                await notify(conn, services, texts("alerts.bad_yes_no"), reply_to=reply_to)
                services.wake_outbox()
                return
            data["urgent"] = word in YES
            await _save(conn, mod.id, chat_id, Step.CONFIRM, data)
            await _preview(conn, services, mod, data)
            services.wake_outbox()
            return
        else:
            return  # the preview's buttons answer it
        await _save(conn, mod.id, chat_id, nxt, data)
        await notify(conn, services, prompt, reply_to=reply_to)
    services.wake_outbox()


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
            .where(media_table.c.owner_type == DRAFT_OWNER, media_table.c.owner_id == mod.id)
            .values(data=None)
        )
        await _drop(conn, mod.id)
        await notify(conn, services, services.texts("alerts.cancelled"))
    services.wake_outbox()
