"""A moderator creates a hotline in the admin chat with a short dialogue.

The dialogue's state is a row in ``hotline_drafts`` (one per moderator), so a restart in
the middle of it loses nothing.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.clock import utcnow
from shared.domain import HotlineStatus
from shared.errors import InvalidInput
from shared.hotlines import campaigns, deadlines
from shared.hotlines.model import Moderator
from shared.hotlines.moderation import notify
from shared.hotlines.planner import HotlinePlanner
from shared.services import Services
from shared.storage import audit
from shared.storage.schema import hotline_drafts, hotlines


class Step(StrEnum):
    """The dialogue's question the moderator's next message answers (``hotline_drafts.step``)."""

    TOPIC = "topic"  # the hotline's topic
    DESCRIPTION = "description"  # a short description, "-" for none
    START = "start"  # when it opens, local time
    END = "end"  # when it closes; the answer creates the hotline


async def active(services: Services, user_id: int) -> bool:
    async with services.db.read() as conn:
        row = await conn.execute(
            select(hotline_drafts.c.step).where(hotline_drafts.c.user_id == user_id)
        )
        return row.first() is not None


async def _save(
    conn: AsyncConnection, user_id: int, chat_id: int, step: Step, data: dict[str, Any]
) -> None:
    await conn.execute(delete(hotline_drafts).where(hotline_drafts.c.user_id == user_id))
    await conn.execute(
        hotline_drafts.insert().values(
            user_id=user_id, chat_id=chat_id, step=step, data=data, updated_at=utcnow()
        )
    )


async def begin(services: Services, mod: Moderator, chat_id: int) -> None:
    async with services.db.write() as conn:
        await _save(conn, mod.id, chat_id, Step.TOPIC, {})
        await notify(conn, services, services.texts("hotline.ask_topic"))
    services.wake_outbox()


async def cancel(services: Services, mod: Moderator) -> None:
    async with services.db.write() as conn:
        await conn.execute(delete(hotline_drafts).where(hotline_drafts.c.user_id == mod.id))
        await notify(conn, services, services.texts("hotline.cancelled"))
    services.wake_outbox()


async def step(services: Services, mod: Moderator, text: str, reply_to: int | None) -> None:
    """The moderator's answer to the current question of the dialogue."""
    async with services.db.write() as conn:
        row = (
            await conn.execute(select(hotline_drafts).where(hotline_drafts.c.user_id == mod.id))
        ).first()
        if row is None:
            return
        current, data = Step(row.step), dict(row.data or {})
        try:
            if current is Step.END:
                reply = await _create(conn, services, mod, data, text.strip())
            else:
                nxt, added, reply = _take(services, current, text.strip())
                await _save(conn, mod.id, int(row.chat_id), nxt, {**data, **added})
        except InvalidInput as exc:
            reply = services.texts.explain(exc)  # the same question stands
        await notify(conn, services, reply, reply_to=reply_to)
    services.wake_outbox()


def _take(services: Services, current: Step, value: str) -> tuple[Step, dict[str, Any], str]:
    """An answer before the last: the next question, what the answer adds, what to say.

    Raises :class:`InvalidInput` for an answer that can't be taken."""
    texts = services.texts
    if current is Step.TOPIC:
        if not value:
            raise InvalidInput(texts("hotline.ask_topic"))
        topic = campaigns.clean_topic(value)
        return Step.DESCRIPTION, {"topic": topic}, texts("hotline.ask_description")
    if current is Step.DESCRIPTION:
        description = "" if value == "-" else value
        return Step.START, {"description": description}, texts("hotline.ask_start")
    start = campaigns.parse_local(value, services.settings.tz)  # Step.START
    return Step.END, {"start": start.isoformat()}, texts("hotline.ask_end")


async def _create(
    conn: AsyncConnection, services: Services, mod: Moderator, data: dict[str, Any], value: str
) -> str:
    """The last answer (when it closes): the hotline is created and the draft dropped."""
    texts, tz = services.texts, services.settings.tz
    hotline = await campaigns.create(
        conn,
        topic=data["topic"],
        description=data.get("description", ""),
        starts_at=datetime.fromisoformat(data["start"]),
        ends_at=campaigns.parse_local(value, tz),
        created_by=mod.actor,
    )
    await audit.record(conn, mod.actor, "hotline.create", "hotline", hotline.id)
    await conn.execute(delete(hotline_drafts).where(hotline_drafts.c.user_id == mod.id))
    created = texts(
        "hotline.created",
        id=hotline.id,
        topic=hotline.topic,
        start=campaigns.local(hotline.starts_at, tz),
        end=campaigns.local(hotline.ends_at, tz),
    )
    hint = texts("hotline.answer_days_hint", **_answer_by(services, hotline, None))
    return f"{created}\n{hint}"


def _answer_by(
    services: Services, hotline: campaigns.Hotline, days: int | None
) -> dict[str, object]:
    """The text values of a hotline's answer-by time (its own days, or the setting's)."""
    cfg = services.settings.hotline
    due = deadlines.answer_by(hotline.ends_at, days, cfg)
    return {
        "id": hotline.id,
        "topic": hotline.topic,
        "days": cfg.answer_days if days is None else days,
        "due": campaigns.local(due, services.settings.tz),
    }


async def answer_days(services: Services, actor: str, hotline_id: int, days: int | None) -> str:
    """``/answer_days ID [DAYS]``: set a hotline's answer-by days, or say what they are.

    The same setting as ``glashatai hotline create --answer-days``, for a hotline made in
    the chat (or to change it later); questions' overdue marks follow at once.
    """
    texts = services.texts
    async with services.db.write() as conn:
        hotline = await campaigns.get(conn, hotline_id)
        if days is not None:
            await deadlines.set_answer_days(conn, hotline_id, days)
            await audit.record(conn, actor, "hotline.answer_days", "hotline", hotline_id, days=days)
            return texts("hotline.answer_days_set", **_answer_by(services, hotline, days))
        own = (
            await conn.execute(select(hotlines.c.answer_days).where(hotlines.c.id == hotline_id))
        ).scalar_one()
    values = _answer_by(services, hotline, own)
    key = "hotline.answer_days_default" if own is None else "hotline.answer_days_own"
    return texts(key, **values)


async def listing(services: Services) -> str:
    texts, tz = services.texts, services.settings.tz
    async with services.db.read() as conn:
        found = await campaigns.listing(conn)
    if not found:
        return texts("hotline.list_empty")
    return "\n".join(
        texts(
            "hotline.list_line",
            id=h.id,
            topic=h.topic,
            status=texts(f"hotline.status_{h.status.value}"),
            start=campaigns.local(h.starts_at, tz),
            end=campaigns.local(h.ends_at, tz),
        )
        for h in found
    )


async def close(services: Services, actor: str, hotline_id: int) -> campaigns.Hotline:
    """Close a hotline now and post its summary.

    Its start and end stay the planned, announced hours: the digest for print shows those,
    not the moment a moderator closed it.
    """
    async with services.db.write() as conn:
        hotline = await campaigns.get(conn, hotline_id)
        if hotline.status is HotlineStatus.CLOSED:
            raise InvalidInput(f"горячая линия №{hotline_id} уже закрыта")
        await audit.record(conn, actor, "hotline.close", "hotline", hotline_id)
        await HotlinePlanner(services).close(conn, hotline)
    services.wake_outbox()
    return hotline
