"""Press releases: create, schedule, publish, edit, delete and cancel posts.

Every change is one transaction that also queues what the platforms must do (the
channel post, the wall post, the preview in the admin chat) in the outbox, so nothing
is ever sent twice or lost when the process stops halfway.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from config.settings import Settings
from shared.clock import utcnow
from shared.delivered import KEY as DELIVERED
from shared.delivered import Delivered
from shared.domain import MediaKind, OutboxAction, OutboxState, PostKind, PostStatus
from shared.domain import PublicationState as PubState
from shared.errors import (
    ChangedMeanwhile,
    Conflict,
    InvalidInput,
    NotFound,
    PlatformNotConfigured,
    Refused,
)
from shared.outbox import store
from shared.outbox.model import OutboxItem, OutboxMessage
from shared.outbox.payload import edit as edit_payload
from shared.outbox.payload import message
from shared.posts import changes, limits, notices, repo, withdraw
from shared.posts.model import (
    MAX_PHOTOS,
    OWNER,
    REF_PUBLICATION,
    WALL,
    Post,
    Publication,
    full_doc,
    titled,
)
from shared.posts.quiet import quiet_until
from shared.richtext import Document, join
from shared.services import Services
from shared.storage import audit
from shared.storage import media as media_repo
from shared.storage.media import NewFile

URGENT_PRIORITY = 50
PAST_TOLERANCE = timedelta(minutes=1)


NewMedia = NewFile


def configured_platforms(settings: Settings) -> list[str]:
    """Platforms a post can go to, as the settings configure them."""
    return settings.publishing_platforms()


def check_platforms(services: Services, platforms: Sequence[str] | None) -> list[str]:
    configured = configured_platforms(services.settings)
    if platforms is None:
        if not configured:
            raise PlatformNotConfigured(", ".join(services.settings.platform_names()))
        return configured
    chosen: list[str] = []
    known = set(services.settings.platform_names())
    for name in platforms:
        name = name.strip().lower()
        if name not in known:
            # The platforms a post can go to here, as configured (all, with none configured).
            offered = ", ".join(configured or services.settings.platform_names())
            raise InvalidInput(
                services.texts("posts.errors.unknown_platform", platform=name, platforms=offered)
            )
        if name not in configured:
            raise PlatformNotConfigured(name)
        if name not in chosen:
            chosen.append(name)
    if not chosen:
        raise InvalidInput(services.texts("posts.errors.no_platforms"))
    return chosen


def check_time(services: Services, at: datetime, now: datetime | None = None) -> None:
    if at.tzinfo is None:
        raise InvalidInput("naive datetime")
    if at < (now or utcnow()) - PAST_TOLERANCE:
        raise InvalidInput(services.texts("posts.errors.time_in_past"))


def check_media(services: Services, media: Sequence[NewMedia]) -> None:
    photos = sum(1 for m in media if m.kind == MediaKind.PHOTO)
    if photos > MAX_PHOTOS:
        raise InvalidInput(services.texts("posts.errors.too_many_photos", limit=MAX_PHOTOS))


def check_limits(
    services: Services,
    platforms: Sequence[str],
    title: str | None,
    body: Document,
    media: Sequence[NewMedia],
) -> None:
    """Refuse, naming the platform and the limit, what a chosen platform would refuse."""
    limits.check(services.limits, platforms, titled(title, body), media, services.texts)


def fitting(
    services: Services,
    platforms: Sequence[str],
    title: str | None,
    body: Document,
    media: Sequence[NewMedia],
) -> tuple[list[str], list[str]]:
    """The platforms among ``platforms`` that take the post as it is, and why each of the
    others would refuse it (one line per limit, naming the platform).

    A text can be longer than a platform takes (a site's article, a busy hotline's digest
    against the VK wall's 16,384 characters): the post then goes to the other platforms,
    and its preview says why (``notices.left_out``), rather than being refused whole.
    """
    found = limits.violations(services.limits, platforms, titled(title, body), media)
    refused = {v.platform for v in found}
    reasons = [limits.describe(v, services.texts) for v in found]
    return [p for p in platforms if p not in refused], reasons


async def _check_stored(
    services: Services, conn: AsyncConnection, post: Post, platforms: Sequence[str]
) -> None:
    """A stored post (a draft from the feed or a digest) against ``platforms``' limits."""
    stored = [
        NewMedia(m.kind, m.filename, m.mime, m.data)
        for m in await media_repo.of(conn, OWNER, post.id)
    ]
    check_limits(services, platforms, post.title, post.body, stored)


async def create_post(
    services: Services,
    *,
    body: Document,
    title: str | None = None,
    kind: PostKind = PostKind.ANNOUNCEMENT,
    platforms: Sequence[str] | None = None,
    at: datetime | None = None,
    created_by: str,
    media: Sequence[tuple[str, str, str, bytes]] = (),
) -> int:
    """Create a post and schedule it (``at`` None: publish now). Returns the post id."""
    return await create(
        services,
        body=body,
        title=title,
        kind=kind,
        platforms=platforms,
        at=at,
        created_by=created_by,
        media=[NewMedia(MediaKind(k), f, m, d) for k, f, m, d in media],
    )


async def create(
    services: Services,
    *,
    body: Document,
    title: str | None = None,
    kind: PostKind = PostKind.ANNOUNCEMENT,
    platforms: Sequence[str] | None = None,
    at: datetime | None = None,
    created_by: str,
    media: Sequence[NewMedia] = (),
    draft: bool = False,
    source_url: str | None = None,
    source_guid: str | None = None,
    conn: AsyncConnection | None = None,
    despite_quiet: bool = False,
) -> int:
    """The full form: drafts (admin chat, feed) and media with platform references.

    ``despite_quiet``: a post due now goes out now even in quiet hours, without being
    marked urgent (the post of an alert, whose notices go out at once).
    """
    chosen = check_platforms(services, platforms)
    check_media(services, media)
    check_limits(services, chosen, title, body, media)
    now = utcnow()
    if at is not None:
        check_time(services, at, now)
    if body.is_empty() and not title and not media:
        raise InvalidInput(services.texts("posts.errors.empty"))
    if conn is None:
        async with services.db.write() as own:
            post_id = await _create(
                services, own, body, title, kind, chosen, at, created_by, media, draft,
                source_url, source_guid, now, despite_quiet,
            )  # fmt: skip
    else:
        post_id = await _create(
            services, conn, body, title, kind, chosen, at, created_by, media, draft,
            source_url, source_guid, now, despite_quiet,
        )  # fmt: skip
    services.wake_outbox()
    return post_id


async def _create(
    services: Services,
    conn: AsyncConnection,
    body: Document,
    title: str | None,
    kind: PostKind,
    platforms: list[str],
    at: datetime | None,
    created_by: str,
    media: Sequence[NewMedia],
    draft: bool,
    source_url: str | None,
    source_guid: str | None,
    now: datetime,
    despite_quiet: bool = False,
) -> int:
    status = PostStatus.DRAFT if draft else PostStatus.SCHEDULED
    post_id = await repo.insert(
        conn,
        title=title,
        body=body,
        kind=kind,
        status=status,
        platforms=platforms,
        scheduled_at=None if draft else (at or now),
        created_by=created_by,
        source_url=source_url,
        source_guid=source_guid,
    )
    await attach(conn, post_id, media)
    await audit.record(conn, created_by, "post.create", "post", post_id, status=status.value)
    post = await repo.get(conn, post_id)
    if not draft and post.scheduled_at is not None and post.scheduled_at <= now:
        post = await release(services, conn, post, now, despite_quiet=despite_quiet)
    await notices.refresh_preview(services, conn, post)
    return post_id


async def attach(conn: AsyncConnection, post_id: int, media: Sequence[NewMedia]) -> None:
    existing = await media_repo.of(conn, OWNER, post_id)
    start = (existing[-1].position + 1) if existing else 0
    await media_repo.add_all(conn, OWNER, post_id, media, start)


async def release(
    services: Services,
    conn: AsyncConnection,
    post: Post,
    now: datetime,
    *,
    despite_quiet: bool = False,
) -> Post:
    """A post falls due: publish it, or hold it until quiet hours end (urgent never waits,
    nor a post the office chose to publish now despite them: ``despite_quiet``)."""
    if not post.urgent and not despite_quiet:
        until = quiet_until(services.settings, now)
        if until is not None:
            await repo.set_fields(conn, post.id, scheduled_at=until)
            await audit.record(conn, "system", "post.quiet_hold", "post", post.id)
            return await repo.get(conn, post.id)
    await publish(services, conn, post)
    return await repo.get(conn, post.id)


async def publish(services: Services, conn: AsyncConnection, post: Post) -> None:
    """Queue one send per platform; the dedupe key makes a second call a no-op."""
    await repo.set_fields(conn, post.id, status=PostStatus.PUBLISHING)
    ids = [m.id for m in await media_repo.of(conn, OWNER, post.id)]
    doc = full_doc(post)
    for platform in post.platforms:
        pub = await repo.ensure_publication(conn, post.id, platform)
        if pub.state not in {PubState.PENDING, PubState.FAILED}:
            continue
        payload, resumes = message(doc, media=ids), {}
        unfinished = await _unfinished(conn, pub)
        if unfinished is not None:
            payload, resumes = unfinished.payload, store.steps_done(unfinished)
        outbox_id = await store.enqueue(
            conn,
            OutboxMessage(
                platform=platform,
                action=OutboxAction.SEND,
                destination=WALL,
                payload=payload,
                priority=URGENT_PRIORITY if post.urgent else 0,
                dedupe_key=f"publication:{pub.id}:send:{await _attempt(conn, pub)}",
                ref_type=REF_PUBLICATION,
                ref_id=pub.id,
                resumes=resumes,
            ),
        )
        await repo.set_publication(
            conn, pub.id, state=PubState.PENDING, outbox_id=outbox_id, error=None
        )


async def _attempt(conn: AsyncConnection, pub: Publication) -> int:
    """Sends of a publication so far: a failed one may be tried again, never twice at once."""
    sends = [
        i for i in await store.by_ref(conn, REF_PUBLICATION, pub.id) if i.action.value == "send"
    ]
    if sends and sends[-1].state is not OutboxState.FAILED:
        return len(sends) - 1
    return len(sends)


async def _unfinished(conn: AsyncConnection, pub: Publication) -> OutboxItem | None:
    """The publication's last send, if it failed part-way: what it made is out (an album,
    then its text refused), so a new try finishes that send, skipping its done steps.

    It finishes the text that send carried; a post edited meanwhile gets its new text as
    an edit once the send is out (``PublicationHooks``).
    """
    if pub.state is not PubState.FAILED:
        return None
    rows = await store.by_ref(conn, REF_PUBLICATION, pub.id)
    last = changes.last(rows, OutboxAction.SEND)
    if last is None or last.state is not OutboxState.FAILED:
        return None
    made = Delivered.from_dict(last.result)
    return last if made is not None and made.ids() else None


def _label(services: Services, post: Post) -> str:
    return services.texts(f"posts.status.{post.status.value}")


# --- what moderators do with a post ------------------------------------------------


async def publish_now(services: Services, post_id: int, actor: str) -> None:
    async with services.db.write() as conn:
        post = await repo.get(conn, post_id)
        if post.status not in {
            PostStatus.DRAFT,
            PostStatus.SCHEDULED,
            PostStatus.MISSED,
            PostStatus.FAILED,
            PostStatus.PARTLY_PUBLISHED,
        }:
            raise Conflict(f"post {post_id} is {post.status}")
        await _check_stored(services, conn, post, post.platforms)
        await audit.record(conn, actor, "post.publish_now", "post", post_id)
        await publish(services, conn, post)
        await notices.refresh_preview(services, conn, await repo.get(conn, post_id))
    services.wake_outbox()


async def schedule(services: Services, post_id: int, at: datetime, actor: str) -> None:
    check_time(services, at)
    async with services.db.write() as conn:
        post = await repo.get(conn, post_id)
        if post.status not in {PostStatus.DRAFT, PostStatus.SCHEDULED, PostStatus.MISSED}:
            raise Conflict(f"post {post_id} is {post.status}")
        await _check_stored(services, conn, post, post.platforms)
        await repo.set_fields(conn, post_id, status=PostStatus.SCHEDULED, scheduled_at=at)
        await audit.record(conn, actor, "post.schedule", "post", post_id, at=at.isoformat())
        post = await repo.get(conn, post_id)
        if at <= utcnow():
            post = await release(services, conn, post, utcnow())
        await notices.refresh_preview(services, conn, post)
    services.wake_outbox()


async def cancel(services: Services, post_id: int, actor: str) -> None:
    async with services.db.write() as conn:
        post = await repo.get(conn, post_id)
        if post.status not in {PostStatus.DRAFT, PostStatus.SCHEDULED, PostStatus.MISSED}:
            raise Refused(
                services.texts("posts.errors.cannot_cancel", status=_label(services, post))
            )
        await repo.set_fields(conn, post_id, status=PostStatus.CANCELLED)
        await audit.record(conn, actor, "post.cancel", "post", post_id)
        await notices.refresh_preview(services, conn, await repo.get(conn, post_id))
    services.wake_outbox()


async def toggle_platform(services: Services, post_id: int, platform: str, actor: str) -> None:
    async with services.db.write() as conn:
        post = await repo.get(conn, post_id)
        if post.status not in {PostStatus.DRAFT, PostStatus.SCHEDULED, PostStatus.MISSED}:
            raise Conflict(f"post {post_id} is {post.status}")
        chosen = list(post.platforms)
        if platform in chosen:
            if len(chosen) == 1:
                raise InvalidInput(services.texts("posts.errors.no_platforms"))
            chosen.remove(platform)
        else:
            chosen = check_platforms(services, [*chosen, platform])
            await _check_stored(services, conn, post, [platform])
        await repo.set_fields(conn, post_id, platforms=chosen)
        await audit.record(conn, actor, "post.platforms", "post", post_id, platforms=chosen)
        await notices.refresh_preview(services, conn, await repo.get(conn, post_id))
    services.wake_outbox()


async def add_media(
    services: Services, post_id: int, media: Sequence[NewMedia], actor: str
) -> None:
    async with services.db.write() as conn:
        post = await repo.get(conn, post_id)
        if post.status not in {PostStatus.DRAFT, PostStatus.SCHEDULED, PostStatus.MISSED}:
            raise Refused(services.texts("posts.errors.media_after_publish"))
        existing = await media_repo.of(conn, OWNER, post_id)
        together = [*(NewMedia(m.kind, "", "", None) for m in existing), *media]
        check_media(services, together)
        check_limits(services, post.platforms, post.title, post.body, together)
        await attach(conn, post_id, media)
        await audit.record(conn, actor, "post.media", "post", post_id, added=len(media))
        await notices.refresh_preview(services, conn, post, force=True)
    services.wake_outbox()


async def edit(
    services: Services,
    post_id: int,
    body: Document,
    actor: str,
    *,
    append: bool = False,
    title: str | None = None,
    expected_version: int | None = None,
) -> list[str]:
    """Change the text; a published post is edited on every platform it is on.

    ``expected_version``: the version the person edited (a form opened earlier); another
    one by then raises :class:`ChangedMeanwhile` and changes nothing.

    Returns a line for each platform where a person must edit the post by hand (the bot
    does not know its messages there: it never posts a new copy instead); the admin chat
    gets the same line under the preview.
    """
    async with services.db.write() as conn:
        post = await repo.get(conn, post_id)
        if post.status in {PostStatus.PUBLISHING, PostStatus.CANCELLED}:
            raise Refused(services.texts("posts.errors.cannot_edit", status=_label(services, post)))
        if expected_version is not None and post.version != expected_version:
            raise ChangedMeanwhile(f"post {post_id} is at version {post.version} now")
        new_body = join(post.body, body) if append else body
        if new_body.is_empty() and not (title or post.title):
            raise InvalidInput(services.texts("posts.errors.empty"))
        new_title = post.title if title is None else (title or None)
        check_limits(services, post.platforms, new_title, new_body, [])
        values: dict[str, Any] = {"body": new_body, "version": post.version + 1}
        if title is not None:
            values["title"] = title or None
        await repo.set_fields(conn, post_id, **values)
        await audit.record(conn, actor, "post.edit", "post", post_id, version=post.version + 1)
        post = await repo.get(conn, post_id)
        by_hand: list[str] = []
        for pub in await repo.publications_of(conn, post_id):
            if pub.state is not PubState.PUBLISHED:
                continue
            if changes.known(pub):
                await enqueue_edit(conn, post, pub)
            elif await changes.trouble_of(conn, post, pub) is not None:
                by_hand.append(notices.manual_line(services, post, pub, "edit"))
        for line in by_hand:
            await notices.tell(services, conn, post, line, role="manual")
        await notices.refresh_preview(services, conn, post, force=True)
    services.wake_outbox()
    return by_hand


async def enqueue_edit(
    conn: AsyncConnection,
    post: Post,
    pub: Publication,
    *,
    again: bool = False,
) -> None:
    """Queue "edit this publication to the post's text": its sender reads what it made.

    Each version is edited once (its key); ``again`` queues a new try of the version after
    the platform refused it, under a key of its own.
    """
    payload = edit_payload([], full_doc(post), extra={DELIVERED: pub.remote})
    destination = await withdraw.destination(conn, pub)
    key = f"publication:{pub.id}:edit:{post.version}"
    if again:
        rows = await changes.rows_of(conn, pub)
        key += f":{changes.attempts(rows, OutboxAction.EDIT)}"
    await store.enqueue(
        conn,
        OutboxMessage(
            platform=pub.platform,
            action=OutboxAction.EDIT,
            destination=destination,
            payload=payload,
            priority=URGENT_PRIORITY if post.urgent else 0,
            dedupe_key=key,
            ref_type=REF_PUBLICATION,
            ref_id=pub.id,
        ),
    )


@dataclass(frozen=True)
class Deleted:
    """What ``delete`` did: the platforms the post is being deleted from, and a line for
    each platform where a person must delete it by hand."""

    deleting: list[str] = field(default_factory=list)
    by_hand: list[str] = field(default_factory=list)


async def delete(services: Services, post_id: int, actor: str) -> Deleted:
    """Remove a post from every platform (the admin chat asks to confirm first).

    What is out is deleted; sends still waiting are called off; a send in flight is
    deleted by the outbox hook once it lands (``PublicationHooks``). Asked again, it tries
    once more a deletion a platform refused. Where the bot does not know the post's
    messages, nothing is sent: the line for it says to delete it by hand (the admin chat
    gets it too). A send that failed part-way (its album out, its text refused) has its
    made part deleted, as has a new try of it called off before it started.
    """
    async with services.db.write() as conn:
        post = await repo.get(conn, post_id)
        pubs = await repo.publications_of(conn, post_id)
        out = [
            p
            for p in pubs
            if p.state in {PubState.PUBLISHED, PubState.UNKNOWN} or changes.out_in_part(p)
        ]
        unsent = [p for p in pubs if p.state in withdraw.UNSENT]
        if post.status not in notices.EDITABLE and not out and not unsent:
            raise Refused(services.texts("posts.errors.nothing_to_delete"))
        for pub in unsent:
            if await withdraw.call_off(conn, pub) and changes.known(pub):
                out.append(pub)  # an earlier try made part of it: that part is out
        done = Deleted()
        for pub in out:
            name = notices.platform_name(services, pub.platform)
            if await withdraw.enqueue_deletion(conn, pub) is withdraw.Deletion.QUEUED:
                done.deleting.append(name)
            elif pub.state is PubState.UNKNOWN:
                done.by_hand.append(notices.manual_line(services, post, pub, "delete_unknown"))
            else:
                done.by_hand.append(notices.manual_line(services, post, pub, "delete"))
        await repo.set_fields(conn, post_id, status=PostStatus.CANCELLED)
        await audit.record(conn, actor, "post.delete", "post", post_id)
        post = await repo.get(conn, post_id)
        for line in done.by_hand:
            await notices.tell(services, conn, post, line, role="manual")
        await notices.refresh_preview(services, conn, post)
    services.wake_outbox()
    return done


async def retry(services: Services, post_id: int, actor: str) -> None:
    """Try again what a platform refused: the post's failed sends (as ``publish_now``),
    and its refused edits and deletion (a new try each, once the refused one has ended)."""
    async with services.db.write() as conn:
        post = await repo.get(conn, post_id)
        pubs = await repo.publications_of(conn, post_id)
        found = [
            f for f in (await changes.troubles(conn, post, pubs)).values() if f.trouble.retryable
        ]
        unsent = post.status in {PostStatus.FAILED, PostStatus.PARTLY_PUBLISHED}
        if not found and not unsent:
            raise Refused(services.texts("posts.errors.nothing_to_retry", id=post_id))
        if unsent:
            await _check_stored(services, conn, post, post.platforms)
            await publish(services, conn, post)
        for one in found:
            if one.trouble is changes.Trouble.EDIT_FAILED:
                await enqueue_edit(conn, post, one.pub, again=True)
            else:
                await withdraw.enqueue_deletion(conn, one.pub)
        await audit.record(conn, actor, "post.retry", "post", post_id)
        await notices.refresh_preview(services, conn, await repo.get(conn, post_id))
    services.wake_outbox()


async def resolve_unknown(
    services: Services, outbox_id: int, *, delivered: bool, actor: str
) -> None:
    """A moderator looked at the channel or wall: the post is there, or send it again.

    For an edit or a deletion whose outcome was unknown: it is done, or it is made again
    (both are safe to repeat); the publication stays out meanwhile.
    """
    async with services.db.write() as conn:
        item = await store.get(conn, outbox_id)
        if item is None or item.ref_type != REF_PUBLICATION:
            raise NotFound(f"outbox {outbox_id}")
        if not await store.resolve_unknown(conn, outbox_id, delivered=delivered):
            raise Conflict(f"outbox {outbox_id} is {item.state}")
        pub = await repo.publication(conn, item.ref_id or 0)
        if pub is not None and item.action is not OutboxAction.SEND:
            if delivered:
                gone = item.action is OutboxAction.DELETE
                state = PubState.DELETED if gone else pub.state
                await repo.set_publication(conn, pub.id, state=state, error=None)
            await notices.settle_post(services, conn, pub.post_id)
        elif pub is not None:
            if delivered:
                await repo.set_publication(conn, pub.id, state=PubState.PUBLISHED, error=None)
                await _out_after_all(services, conn, pub)
                await notices.settle_post(services, conn, pub.post_id)
            else:
                await repo.set_publication(conn, pub.id, state=PubState.PENDING, error=None)
                if await _withdrawn_stays_off(conn, pub):
                    await notices.settle_post(services, conn, pub.post_id)
        await audit.record(
            conn, actor, "post.unknown_resolved", "outbox", outbox_id, delivered=delivered
        )
    services.wake_outbox()


async def _out_after_all(services: Services, conn: AsyncConnection, pub: Publication) -> None:
    """A send confirmed as out by a moderator names no messages: if its post was deleted
    or edited meanwhile, a person deletes or edits it by hand, and is told so."""
    post = await repo.get(conn, pub.post_id)
    current = await repo.publication(conn, pub.id)
    found = await changes.trouble_of(conn, post, current) if current is not None else None
    if current is None or found is None:
        return
    what = "delete" if found.trouble is changes.Trouble.DELETE_BY_HAND else "edit"
    await notices.tell(services, conn, post, notices.manual_line(services, post, current, what))


async def _withdrawn_stays_off(conn: AsyncConnection, pub: Publication) -> bool:
    """ "Send it again" for a post deleted meanwhile: the send is called off instead."""
    post = await repo.get(conn, pub.post_id)
    return post.status is PostStatus.CANCELLED and await withdraw.call_off(conn, pub)


async def answer_captcha(services: Services, outbox_id: int, code: str, actor: str) -> None:
    async with services.db.write() as conn:
        if not await store.resume_held(conn, outbox_id, {"key": code.strip()}):
            raise Conflict(f"outbox {outbox_id} is not waiting for a captcha")
        item = await store.get(conn, outbox_id)
        if item is not None and item.ref_type == REF_PUBLICATION and item.ref_id:
            await repo.set_publication(conn, item.ref_id, state=PubState.PENDING, error=None)
        await audit.record(conn, actor, "post.captcha", "outbox", outbox_id)
    services.wake_outbox()


async def prompt(services: Services, post_id: int, what: str) -> None:
    """Ask in the admin chat for a time, a new or added text, or a delete confirmation."""
    async with services.db.write() as conn:
        post = await repo.get(conn, post_id)
        if what == "time":
            if post.status not in notices.EDITABLE:
                raise Conflict(f"post {post_id} is {post.status}")
            await notices.ask_time(services, conn, post)
        elif what in {"text", "append"}:
            await notices.ask_text(services, conn, post, append=what == "append")
        elif what == "delete":
            await notices.ask_delete(services, conn, post)
        else:
            raise InvalidInput(what)
    services.wake_outbox()
