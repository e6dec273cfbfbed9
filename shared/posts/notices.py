"""What the admin chat sees about a post: its preview with buttons, and questions.

Everything here is a neutral outbox payload for the admin chat; the Telegram sender
renders it. Every message we send there is remembered (``post_messages``) once sent, so
a reply to it can be told apart from replies meant for other features.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from config.settings import ADMIN_PLATFORM
from shared import callbacks
from shared.domain import MediaKind, OutboxAction, PostStatus
from shared.domain import PublicationState as PubState
from shared.outbox import store
from shared.outbox.model import OutboxMessage
from shared.outbox.payload import Button, edit, message
from shared.posts import changes, repo
from shared.posts.model import OWNER, REF_NOTICE, Post, Publication, full_doc
from shared.richtext import Block, Document, Span, join, split
from shared.services import Services
from shared.storage import media as media_repo
from shared.storage.media import MediaOwner, NewFile

PREVIEW_BODY_LIMIT = 3000
NOTICE_PRIORITY = 10
EDITABLE = {PostStatus.DRAFT, PostStatus.SCHEDULED, PostStatus.MISSED}


def admin_chat(services: Services) -> int | None:
    tg = services.settings.telegram
    return tg.admin_chat_id if tg.enabled else None


def local_time(services: Services, when: datetime) -> str:
    return when.astimezone(services.settings.tz).strftime("%d.%m.%Y %H:%M")


def _line(text: str, *, bold: bool = False, link: str | None = None) -> Block:
    return Block("paragraph", (Span(text, bold=bold, link=link),))


def platform_name(services: Services, platform: str) -> str:
    """The name the platform declared for people (its ``PostLimits.title``); a command
    that loaded no platform (``post cancel``) names it from the text catalogue."""
    declared = services.limits.get(platform)
    if declared is not None and declared.title:
        return declared.title
    return services.texts(f"moderation.platform_{platform}")


def trouble_text(services: Services, found: changes.Found, retry_hint: str) -> str:
    """What went wrong with the post's edit or deletion on one platform, and what to do
    (the platform's own words stay in the publication and the log)."""
    text = services.texts(f"posts.trouble.{found.trouble.value}")
    return f"{text}; {retry_hint}" if found.trouble.retryable else text


def manual_line(services: Services, post: Post, pub: Publication, what: str) -> str:
    """One line for a person: edit (``edit``) or delete (``delete``, ``delete_unknown``)
    the post by hand on the platform whose messages the bot does not know."""
    link = services.texts("posts.manual.link", url=pub.url) if pub.url else ""
    return services.texts(
        f"posts.manual.{what}",
        id=post.id,
        platform=platform_name(services, pub.platform),
        link=link,
    )


def preview_doc(
    services: Services,
    post: Post,
    pubs: list[Publication],
    photos: int,
    docs: int,
    notes: Sequence[str] = (),
    troubles: Mapping[int, changes.Found] | None = None,
) -> Document:
    t = services.texts
    lines = [
        _line(
            t("posts.preview.header", id=post.id, kind=t(f"posts.kind.{post.kind.value}")),
            bold=True,
        ),
        _line(t("posts.preview.status", status=t(f"posts.status.{post.status.value}"))),
    ]
    if post.scheduled_at is not None and post.status is PostStatus.SCHEDULED:
        lines.append(_line(t("posts.preview.when", when=local_time(services, post.scheduled_at))))
    names = ", ".join(platform_name(services, p) for p in post.platforms)
    lines.append(_line(t("posts.preview.platforms", platforms=names)))
    for pub in pubs:
        state = t(f"posts.publication.{pub.state.value}")
        text = t(
            "posts.preview.publication",
            platform=platform_name(services, pub.platform),
            state=state,
        )
        if pub.error and pub.state is not PubState.PUBLISHED:
            text += " " + t("posts.preview.reason", reason=pub.error)
        found = (troubles or {}).get(pub.id)
        if found is not None:
            text += " — " + trouble_text(services, found, t("posts.trouble.retry"))
        lines.append(_line(text))
        if pub.url and pub.state is PubState.PUBLISHED:
            lines.append(_line(pub.url, link=pub.url))
    if photos or docs:
        lines.append(_line(t("posts.preview.media", photos=photos, docs=docs)))
    lines.extend(_line(note) for note in notes)
    header = Document(tuple(lines))
    body = full_doc(post)
    parts = split(body, PREVIEW_BODY_LIMIT) if not body.is_empty() else []
    shown = parts[0] if parts else Document((_line(t("posts.preview.no_text")),))
    if len(parts) > 1:
        more = t("posts.preview.truncated", length=len(body.plain))
        shown = join(shown, Document((_line(more),)))
    return join(header, Document((_line("———"),)), shown)


async def preview_buttons(
    services: Services,
    conn: AsyncConnection,
    post: Post,
    troubles: Mapping[int, changes.Found] | None = None,
) -> list[list[Button]]:
    t = services.texts

    async def b(key: str, action: str, **data: Any) -> Button:
        return await callbacks.button(conn, t(f"posts.buttons.{key}"), action, post.id, **data)

    # A refused edit or deletion is tried again like a refused send.
    refused = any(f.trouble.retryable for f in (troubles or {}).values())
    rows: list[list[Button]] = []
    if post.status in EDITABLE:
        second = "reschedule" if post.status is PostStatus.SCHEDULED else "schedule"
        rows.append([await b("publish", "post.publish"), await b(second, "post.schedule")])
        toggles = []
        for platform in services.limits:
            mark = "✓" if platform in post.platforms else "✗"
            label = f"{mark} {platform_name(services, platform)}"
            toggles.append(
                await callbacks.button(conn, label, "post.toggle", post.id, platform=platform)
            )
        rows.append(toggles)
        rows.append([await b("text", "post.text"), await b("append", "post.append")])
        rows.append([await b("cancel", "post.cancel")])
    elif post.status in {PostStatus.PUBLISHED, PostStatus.PARTLY_PUBLISHED, PostStatus.FAILED}:
        row = [await b("text", "post.text"), await b("delete", "post.delete")]
        if post.status is not PostStatus.PUBLISHED or refused:
            row.insert(0, await b("retry", "post.retry"))
        rows.append(row)
    elif post.status is PostStatus.CANCELLED and refused:
        rows.append([await b("retry", "post.retry")])
    return rows


async def _notice(
    services: Services,
    conn: AsyncConnection,
    post: Post,
    doc: Document,
    role: str,
    *,
    buttons: list[list[Button]] | None = None,
    media: list[int] | None = None,
    reply_to: int | None = None,
    dedupe_key: str | None = None,
    outbox_id: int | None = None,
) -> int | None:
    chat = admin_chat(services)
    if chat is None:
        return None
    extra: dict[str, Any] = {"role": role, "post": post.id, "status": post.status.value}
    extra["version"] = post.version
    if outbox_id is not None:
        extra["outbox_id"] = outbox_id
    return await store.enqueue(
        conn,
        OutboxMessage(
            platform=ADMIN_PLATFORM,
            action=OutboxAction.SEND,
            destination=str(chat),
            payload=message(
                doc,
                buttons=buttons or [],
                media=media or [],
                reply_to=reply_to,
                thread_id=services.settings.publishing.topic_id,
                extra=extra,
            ),
            priority=NOTICE_PRIORITY,
            dedupe_key=dedupe_key,
            ref_type=REF_NOTICE,
            ref_id=post.id,
        ),
    )


def left_out(services: Services, post: Post, items: Sequence[media_repo.Media]) -> list[str]:
    """Why each configured platform the post is not for would refuse it: a post made for
    the platforms it fits (a site's article or a hotline's digest too long for the VK
    wall) says on its preview which one was left out and why."""
    from shared.posts.service import configured_platforms, fitting

    others = [p for p in configured_platforms(services.settings) if p not in post.platforms]
    if not others:
        return []
    files = [NewFile(m.kind, m.filename, m.mime, m.data) for m in items]
    return fitting(services, others, post.title, post.body, files)[1]


async def refresh_preview(
    services: Services, conn: AsyncConnection, post: Post, *, force: bool = False
) -> None:
    """Send the post's preview, or edit it in place to show the post as it is now."""
    chat = admin_chat(services)
    if chat is None:
        return
    post = await repo.get(conn, post.id)
    pubs = await repo.publications_of(conn, post.id)
    items = await media_repo.of(conn, OWNER, post.id)
    photos = sum(1 for m in items if m.kind == MediaKind.PHOTO)
    from shared.posts.feed.report import missing_lines

    notes = await missing_lines(services, conn, post.id)
    notes += [note for note in left_out(services, post, items) if note not in notes]
    found = await changes.troubles(conn, post, pubs)
    doc = preview_doc(services, post, pubs, photos, len(items) - photos, notes, found)
    buttons = await preview_buttons(services, conn, post, found)
    if post.preview_message_id is None:
        await _notice(
            services,
            conn,
            post,
            doc,
            "preview",
            buttons=buttons,
            dedupe_key=f"post:{post.id}:preview",
        )
        return
    extra = {"role": "preview_edit", "post": post.id}
    await store.enqueue(
        conn,
        OutboxMessage(
            platform=ADMIN_PLATFORM,
            action=OutboxAction.EDIT,
            destination=str(chat),
            payload=edit([post.preview_message_id], doc, buttons=buttons, extra=extra),
            priority=NOTICE_PRIORITY,
            ref_type=REF_NOTICE,
            ref_id=post.id,
        ),
    )


async def ask_time(services: Services, conn: AsyncConnection, post: Post) -> None:
    doc = Document((_line(services.texts("posts.ask.time", id=post.id)),))
    await _notice(services, conn, post, doc, "time", reply_to=post.preview_message_id)


async def ask_text(services: Services, conn: AsyncConnection, post: Post, append: bool) -> None:
    key = "posts.ask.append" if append else "posts.ask.text"
    doc = Document((_line(services.texts(key, id=post.id)),))
    role = "append" if append else "text"
    await _notice(services, conn, post, doc, role, reply_to=post.preview_message_id)


async def ask_delete(services: Services, conn: AsyncConnection, post: Post) -> None:
    t = services.texts
    names = ", ".join(platform_name(services, p) for p in post.platforms)
    doc = Document((_line(t("posts.ask.delete", id=post.id, platforms=names)),))
    buttons = [
        [
            await callbacks.button(conn, t("posts.buttons.delete_yes"), "post.del_yes", post.id),
            await callbacks.button(conn, t("posts.buttons.delete_no"), "post.del_no", post.id),
        ]
    ]
    await _notice(
        services, conn, post, doc, "delete", buttons=buttons, reply_to=post.preview_message_id
    )


async def ask_missed(services: Services, conn: AsyncConnection, post: Post) -> None:
    t = services.texts
    when = local_time(services, post.scheduled_at) if post.scheduled_at else "—"
    missed_at = post.scheduled_at.isoformat() if post.scheduled_at else "-"
    doc = Document((_line(t("posts.ask.missed", id=post.id, when=when)),))
    buttons = [
        [
            await callbacks.button(conn, t("posts.buttons.publish"), "post.publish", post.id),
            await callbacks.button(conn, t("posts.buttons.cancel"), "post.cancel", post.id),
        ]
    ]
    await _notice(
        services,
        conn,
        post,
        doc,
        "missed",
        buttons=buttons,
        reply_to=post.preview_message_id,
        # Once per miss: a post rescheduled and missed again is asked about again.
        dedupe_key=f"post:{post.id}:missed:{post.version}:{missed_at}",
    )


# What a moderator is asked about an uncertain send, edit or deletion: the question's key
# and its two buttons' (it is there; make it again).
UNKNOWN_TEXTS = {
    OutboxAction.SEND: ("posts.ask.unknown", "unknown_there", "unknown_again"),
    OutboxAction.EDIT: ("posts.ask.unknown_edit", "unknown_edited", "unknown_edit_again"),
    OutboxAction.DELETE: ("posts.ask.unknown_delete", "unknown_deleted", "unknown_delete_again"),
}


async def ask_unknown(
    services: Services,
    conn: AsyncConnection,
    post: Post,
    pub: Publication,
    outbox_id: int,
    action: OutboxAction = OutboxAction.SEND,
) -> None:
    t = services.texts
    key, there, again = UNKNOWN_TEXTS.get(action, UNKNOWN_TEXTS[OutboxAction.SEND])
    text = t(
        key,
        id=post.id,
        platform=platform_name(services, pub.platform),
        reason=pub.error or "",
    )
    buttons = [
        [
            await callbacks.button(conn, t(f"posts.buttons.{there}"), "post.unk_yes", outbox_id),
            await callbacks.button(conn, t(f"posts.buttons.{again}"), "post.unk_no", outbox_id),
        ]
    ]
    await _notice(
        services,
        conn,
        post,
        Document((_line(text),)),
        "unknown",
        buttons=buttons,
        reply_to=post.preview_message_id,
        outbox_id=outbox_id,
    )


async def ask_captcha(
    services: Services,
    conn: AsyncConnection,
    post: Post,
    outbox_id: int,
    image_url: str,
    image: bytes | None,
) -> None:
    """The captcha image with a request for the code (its link when it could not be loaded)."""
    text = services.texts("posts.ask.captcha", id=post.id)
    media: list[int] = []
    if image:
        media.append(
            await media_repo.add(
                conn,
                owner_type=MediaOwner.POST_CAPTCHA,
                owner_id=post.id,
                kind=MediaKind.PHOTO,
                filename="captcha.jpg",
                mime="image/jpeg",
                data=image,
            )
        )
    blocks = [_line(text)]
    if not image and image_url:
        blocks.append(_line(image_url, link=image_url))
    await _notice(
        services, conn, post, Document(tuple(blocks)), "captcha", media=media, outbox_id=outbox_id
    )


async def tell(
    services: Services, conn: AsyncConnection, post: Post, text: str, role: str = "info"
) -> None:
    """One line about the post under its preview (the feed's news of a changed item)."""
    doc = Document((_line(text),))
    await _notice(services, conn, post, doc, role, reply_to=post.preview_message_id)


async def settle_post(services: Services, conn: AsyncConnection, post_id: int) -> None:
    """The post's status from its publications, once none is still on its way."""
    from shared.clock import utcnow

    post = await repo.get(conn, post_id)
    pubs = [p for p in await repo.publications_of(conn, post_id) if p.platform in post.platforms]
    states = {p.state for p in pubs}
    status = post.status
    if post.status is PostStatus.CANCELLED:
        pass
    elif states & {PubState.PENDING, PubState.HELD, PubState.UNKNOWN}:
        status = PostStatus.PUBLISHING
    elif states and states <= {PubState.PUBLISHED}:
        status = PostStatus.PUBLISHED
    elif PubState.PUBLISHED in states:
        status = PostStatus.PARTLY_PUBLISHED
    elif states:
        status = PostStatus.FAILED
    values: dict[str, Any] = {}
    if status is not post.status:
        values["status"] = status
    if PubState.PUBLISHED in states and post.published_at is None:
        values["published_at"] = utcnow()
    if values:
        await repo.set_fields(conn, post_id, **values)
    await refresh_preview(services, conn, post)
