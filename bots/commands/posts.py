"""``glashatai post …``: press releases from scripts and the terminal.

Every message is Russian, from the text catalogue (``[cli.posts]``), like everything else
the press office reads. Everything a command is given is checked before anything is
written: a refused command leaves the database as it was.
"""

from __future__ import annotations

import argparse
import mimetypes
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from bots.commands import files
from bots.commands.runner import run
from bots.registry import platform_names, post_limits
from shared.clock import utcnow
from shared.domain import MediaKind, PostKind, PostStatus
from shared.domain import PublicationState as PubState
from shared.errors import InvalidInput
from shared.posts import changes, limits, notices, repo, service
from shared.posts.model import FAR_AHEAD, MAX_PHOTOS, OWNER, Post
from shared.posts.quiet import quiet_until
from shared.posts.service import NewMedia
from shared.posts.when import parse_when
from shared.richtext import Document, from_markdown, to_plain
from shared.services import Services
from shared.storage import media as media_repo
from shared.texts import Texts

# Statuses ``post publish`` and ``post schedule`` act on: posts not (fully) out yet.
SCHEDULABLE = {PostStatus.DRAFT, PostStatus.SCHEDULED, PostStatus.MISSED}
PUBLISHABLE = SCHEDULABLE | {PostStatus.FAILED, PostStatus.PARTLY_PUBLISHED}
UNPUBLISHED = SCHEDULABLE
# A post out within this of its planned time came out as planned (the outbox's own delay).
ON_TIME = timedelta(minutes=1)


def _read(path: str, texts: Texts) -> bytes:
    return files.read(path, texts, "cli.posts.file_not_found")


def _text(path: str, texts: Texts) -> str:
    """The Markdown source; a binary file or control characters are refused."""
    return limits.decode_text(_read(path, texts), texts, path)


def _photo(path: str, texts: Texts) -> NewMedia:
    return files.photo(path, texts, "cli.posts.file_not_found", "cli.posts.not_an_image")


def _document(path: str, texts: Texts) -> NewMedia:
    data = _read(path, texts)
    mime = mimetypes.guess_type(path)[0] or "application/octet-stream"
    return NewMedia(MediaKind.DOCUMENT, Path(path).name, mime, data)


def _run(
    work: Callable[[Services], Awaitable[int]],
    validate: Callable[[Services], None] | None = None,
    post_id: int | None = None,
    checks_limits: bool = False,
) -> int:
    """Validate first, then migrate and act: a refused command writes nothing.

    Commands that store or publish a post load the platforms' limits (``checks_limits``);
    the others don't import the platform packages at all.
    """

    def prepare(services: Services) -> None:
        if checks_limits:
            services.limits = post_limits()
        if validate is not None:
            validate(services)

    return run(work, prepare=prepare, not_found="cli.posts.not_found", item_id=post_id)


def _platforms(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [p.strip() for p in value.split(",") if p.strip()]


def _when(services: Services, text: str) -> datetime:
    try:
        return parse_when(text, utcnow(), services.settings.tz)
    except InvalidInput:
        raise InvalidInput(services.texts("posts.errors.bad_time", text=text.strip())) from None


def _local(services: Services, moment: datetime) -> str:
    return f"{moment.astimezone(services.settings.tz):%d.%m.%Y %H:%M}"


def check_far(services: Services, at: datetime | None, confirmed: bool) -> None:
    """A date more than a year ahead is refused unless confirmed with ``--yes``."""
    if at is not None and at - utcnow() > FAR_AHEAD and not confirmed:
        raise InvalidInput(services.texts("cli.posts.far_future", when=_local(services, at)))


def quiet_note(services: Services, at: datetime | None, urgent: bool) -> str | None:
    """What quiet hours will do to a post due at ``at`` (None: now), said out loud."""
    start = services.settings.publishing.quiet_hours_start
    end = services.settings.publishing.quiet_hours_end
    until = quiet_until(services.settings, at or utcnow())
    if urgent or start is None or end is None or until is None:
        return None
    values = {"start": f"{start:%H:%M}", "end": f"{end:%H:%M}", "until": _local(services, until)}
    if at is None:
        return services.texts("cli.posts.quiet_now", **values)
    return services.texts("cli.posts.quiet_at", at=_local(services, at), **values)


def _outcome(services: Services, post: Post, note: str | None) -> None:
    """One line on what happens to the post now, and the quiet-hours note if any."""
    texts = services.texts
    if post.status is PostStatus.SCHEDULED and post.scheduled_at is not None:
        print(texts("posts.done.scheduled", id=post.id, when=_local(services, post.scheduled_at)))
    else:
        print(texts("posts.done.publishing", id=post.id))
    if note:
        print(note)


@dataclass(frozen=True)
class _Checked:
    """A new post that passed every check, ready to be stored."""

    body: Document
    media: list[NewMedia]
    platforms: list[str]
    at: datetime | None


def cmd_create(args: argparse.Namespace) -> int:
    checked: list[_Checked] = []

    def validate(services: Services) -> None:
        texts = services.texts
        source = _text(args.text_file, texts)
        if len(args.photo) > MAX_PHOTOS:
            raise InvalidInput(texts("posts.errors.too_many_photos", limit=MAX_PHOTOS))
        media = [_photo(p, texts) for p in args.photo] + [_document(d, texts) for d in args.doc]
        at = _when(services, args.at) if args.at else None
        if at is not None:
            service.check_time(services, at)
            check_far(services, at, args.yes)
        chosen = service.check_platforms(services, _platforms(args.to))
        service.check_media(services, media)
        body = from_markdown(source)
        service.check_limits(services, chosen, args.title, body, media)
        checked.append(_Checked(body, media, chosen, at))

    async def go(services: Services) -> int:
        new = checked[0]
        post_id = await service.create(
            services,
            body=new.body,
            title=args.title,
            kind=PostKind.URGENT if args.urgent else PostKind(args.kind),
            platforms=new.platforms,
            at=new.at,
            created_by="cli",
            media=new.media,
        )
        async with services.db.read() as conn:
            post = await repo.get(conn, post_id)
        _outcome(services, post, quiet_note(services, new.at, post.urgent))
        return 0

    return _run(go, validate, checks_limits=True)


def cmd_publish(args: argparse.Namespace) -> int:
    async def go(services: Services) -> int:
        async with services.db.read() as conn:
            post = await repo.get(conn, args.id)
        if post.status not in PUBLISHABLE:
            raise InvalidInput(_not_now(services, post))
        await service.publish_now(services, args.id, "cli")
        print(_published_now(services, post))
        return 0

    return _run(go, post_id=args.id, checks_limits=True)


def cmd_schedule(args: argparse.Namespace) -> int:
    at: list[datetime] = []

    def validate(services: Services) -> None:
        at.append(_when(services, args.at))
        service.check_time(services, at[0])
        check_far(services, at[0], args.yes)

    async def go(services: Services) -> int:
        async with services.db.read() as conn:
            post = await repo.get(conn, args.id)
        if post.status not in SCHEDULABLE:
            raise InvalidInput(_not_now(services, post))
        await service.schedule(services, args.id, at[0], "cli")
        async with services.db.read() as conn:
            post = await repo.get(conn, args.id)
        _outcome(services, post, quiet_note(services, at[0], post.urgent))
        return 0

    return _run(go, validate, post_id=args.id, checks_limits=True)


def _published_now(services: Services, post: Post) -> str:
    """``post publish``'s one line: it goes out now, and, in quiet hours, that it does
    despite them (publishing now is the office's explicit choice)."""
    start = services.settings.publishing.quiet_hours_start
    end = services.settings.publishing.quiet_hours_end
    quiet = quiet_until(services.settings, utcnow())
    if post.urgent or start is None or end is None or quiet is None:
        return services.texts("posts.done.publishing", id=post.id)
    return services.texts(
        "cli.posts.publishing_quiet", id=post.id, start=f"{start:%H:%M}", end=f"{end:%H:%M}"
    )


def _times(services: Services, post: Post) -> list[str]:
    """When the post comes out while it is planned; once out, when it went out (and when
    it had been planned for, if that was another time)."""
    texts = services.texts
    if post.status in {PostStatus.SCHEDULED, PostStatus.MISSED}:
        if post.scheduled_at is None:
            return []
        return [texts("posts.preview.when", when=_local(services, post.scheduled_at))]
    lines = []
    if post.published_at is not None:
        lines.append(texts("cli.posts.show_published", when=_local(services, post.published_at)))
    out = post.published_at or utcnow()
    if post.scheduled_at is not None and abs(post.scheduled_at - out) > ON_TIME:
        lines.append(texts("cli.posts.show_was_planned", when=_local(services, post.scheduled_at)))
    return lines


def _not_now(services: Services, post: Post) -> str:
    status = services.texts(f"posts.status.{post.status.value}")
    return services.texts("cli.posts.not_schedulable", id=post.id, status=status)


def cmd_list(args: argparse.Namespace) -> int:
    async def go(services: Services) -> int:
        async with services.db.read() as conn:
            posts = await repo.recent(conn, args.limit)
        texts = services.texts
        for post in posts:
            when = _local(services, post.scheduled_at) if post.scheduled_at else "-"
            title = post.title or to_plain(post.body).split("\n", 1)[0]
            status = texts(f"posts.status.{post.status.value}")
            print(
                f"{post.id:>5}  {status:<20} {when:<16}  "
                f"{','.join(post.platforms):<11}  {title[:60]}"
            )
        if not posts:
            print(texts("cli.posts.list_empty"))
        return 0

    return _run(go)


def cmd_show(args: argparse.Namespace) -> int:
    async def go(services: Services) -> int:
        async with services.db.read() as conn:
            post = await repo.get(conn, args.id)
            pubs = await repo.publications_of(conn, post.id)
            items = await media_repo.of(conn, OWNER, post.id)
            troubles = await changes.troubles(conn, post, pubs)
        texts = services.texts
        status = texts(f"posts.status.{post.status.value}")
        kind = texts(f"posts.kind.{post.kind.value}")
        print(texts("cli.posts.show_header", id=post.id, status=status, kind=kind))
        for line in _times(services, post):
            print(line)
        print(texts("posts.preview.platforms", platforms=", ".join(post.platforms)))
        for reason in notices.left_out(services, post, items):
            print(f"  {reason}")  # a configured platform left out, and why (too long)
        for pub in pubs:
            state = texts(f"posts.publication.{pub.state.value}")
            line = "  " + texts("posts.preview.publication", platform=pub.platform, state=state)
            if pub.url:
                line += f" {pub.url}"
            found = troubles.get(pub.id)
            if found is not None:  # a refused edit or deletion, or one to make by hand
                hint = texts("cli.posts.retry_hint", id=post.id)
                line += " — " + notices.trouble_text(services, found, hint)
            elif pub.error and pub.state is not PubState.PUBLISHED:
                line += f" ({pub.error})"  # why the send failed, as on the preview
            print(line)
        for item in items:
            kind_label = texts(f"cli.posts.{item.kind.value}")
            print(texts("cli.posts.show_media", kind=kind_label, file=item.filename))
        if post.title:
            print(texts("cli.posts.show_title", title=post.title))
        print()
        print(to_plain(post.body))
        return 0

    return _run(go, post_id=args.id, checks_limits=True)


def cmd_cancel(args: argparse.Namespace) -> int:
    async def go(services: Services) -> int:
        await service.cancel(services, args.id, "cli")
        print(services.texts("posts.done.cancelled", id=args.id))
        return 0

    return _run(go, post_id=args.id)


def cmd_edit(args: argparse.Namespace) -> int:
    source: list[str] = []

    def validate(services: Services) -> None:
        source.append(_text(args.text_file, services.texts))

    async def go(services: Services) -> int:
        body = from_markdown(source[0])
        by_hand = await service.edit(services, args.id, body, "cli", title=args.title)
        print(services.texts("posts.done.edited", id=args.id))
        for line in by_hand:  # a platform where the bot can't edit it: a person does
            print(line)
        return 0

    return _run(go, validate, post_id=args.id, checks_limits=True)


def cmd_delete(args: argparse.Namespace) -> int:
    def validate(services: Services) -> None:
        if not args.yes:
            raise InvalidInput(services.texts("cli.posts.confirm_delete"))

    async def go(services: Services) -> int:
        async with services.db.read() as conn:
            was = (await repo.get(conn, args.id)).status
        done = await service.delete(services, args.id, "cli")
        texts = services.texts
        if was in UNPUBLISHED:
            print(texts("cli.posts.cancelled_unpublished", id=args.id))
        elif not done.by_hand:
            print(texts("posts.done.deleted", id=args.id))
        elif done.deleting:
            print(texts("posts.done.deleting_on", id=args.id, platforms=", ".join(done.deleting)))
        for line in done.by_hand:  # where the bot can't delete it: a person does
            print(line)
        return 0

    return _run(go, validate, post_id=args.id)


def cmd_retry(args: argparse.Namespace) -> int:
    async def go(services: Services) -> int:
        await service.retry(services, args.id, "cli")
        print(services.texts("posts.done.retrying", id=args.id))
        return 0

    return _run(go, post_id=args.id, checks_limits=True)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    post = sub.add_parser(
        "post",
        help="press releases: create, list, show, publish, schedule, edit, cancel, delete, retry",
    )
    cmds = post.add_subparsers(dest="post_command", required=True, metavar="COMMAND")

    create = cmds.add_parser("create", help="create a post (published now or at --at)")
    create.add_argument("--text-file", required=True, help="the text, in Markdown (UTF-8)")
    create.add_argument("--title", help="a title shown above the text")
    create.add_argument("--photo", action="append", default=[], help="a photo (up to 10)")
    create.add_argument("--doc", action="append", default=[], help="a document, e.g. a PDF")
    create.add_argument("--at", help='when, in the office\'s time zone: "2026-12-01 10:00"')
    names = ",".join(platform_names())
    create.add_argument("--to", help=f"platforms, comma-separated: {names} (default: all)")
    create.add_argument("--urgent", action="store_true", help="ignore quiet hours")
    create.add_argument(
        "--kind",
        default=PostKind.PRESS_RELEASE.value,
        choices=[k.value for k in PostKind],
        help="what the post is (default press_release)",
    )
    create.add_argument("--yes", action="store_true", help="confirm a date over a year ahead")
    create.set_defaults(func=cmd_create)

    listing = cmds.add_parser("list", help="the latest posts")
    listing.add_argument("--limit", type=int, default=50, help="how many (default 50)")
    listing.set_defaults(func=cmd_list)

    show = cmds.add_parser("show", help="one post with its publications")
    show.add_argument("id", type=int)
    show.set_defaults(func=cmd_show)

    publish = cmds.add_parser(
        "publish", help="publish a draft (or a scheduled, missed or failed post) now"
    )
    publish.add_argument("id", type=int)
    publish.set_defaults(func=cmd_publish)

    schedule = cmds.add_parser("schedule", help="schedule a draft (or move a scheduled post)")
    schedule.add_argument("id", type=int)
    schedule.add_argument(
        "--at", required=True, help='when, in the office\'s time zone: "2026-12-01 10:00"'
    )
    schedule.add_argument("--yes", action="store_true", help="confirm a date over a year ahead")
    schedule.set_defaults(func=cmd_schedule)

    cancel = cmds.add_parser("cancel", help="cancel a draft or scheduled post")
    cancel.add_argument("id", type=int)
    cancel.set_defaults(func=cmd_cancel)

    edit = cmds.add_parser("edit", help="change a post's text (published: on every platform)")
    edit.add_argument("id", type=int)
    edit.add_argument("--text-file", required=True, help="the new text, in Markdown (UTF-8)")
    edit.add_argument("--title", help="a new title ('' removes it)")
    edit.set_defaults(func=cmd_edit)

    delete = cmds.add_parser(
        "delete", help="delete a post everywhere (a post not yet published is cancelled)"
    )
    delete.add_argument("id", type=int)
    delete.add_argument("--yes", action="store_true", help="confirm")
    delete.set_defaults(func=cmd_delete)

    retry = cmds.add_parser(
        "retry", help="try again what a platform refused: a send, an edit or a deletion"
    )
    retry.add_argument("id", type=int)
    retry.set_defaults(func=cmd_retry)
