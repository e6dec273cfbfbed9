"""``glashatai post …``: press releases from scripts and the terminal."""

from __future__ import annotations

import argparse
import asyncio
import logging
import mimetypes
from datetime import datetime
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from config import Settings
from shared.clock import utcnow
from shared.domain import PostKind
from shared.errors import InvalidInput
from shared.posts import repo, service
from shared.posts.model import MAX_PHOTOS, OWNER
from shared.posts.service import NewMedia
from shared.posts.when import parse_when
from shared.richtext import from_markdown, to_plain
from shared.services import Services
from shared.storage import media as media_repo
from shared.storage.migrate import upgrade


def _read(path: str, what: str) -> bytes:
    file = Path(path)
    if not file.is_file():
        raise InvalidInput(f"{what} not found: {path}")
    return file.read_bytes()


def _photo(path: str) -> NewMedia:
    data = _read(path, "photo")
    try:
        with Image.open(Path(path)) as image:
            image.verify()
            kind = (image.format or "jpeg").lower()
    except (UnidentifiedImageError, OSError, SyntaxError):
        raise InvalidInput(f"not an image: {path}") from None
    mime = Image.MIME.get(kind.upper(), f"image/{kind}")
    return NewMedia("photo", Path(path).name, mime, data)


def _document(path: str) -> NewMedia:
    data = _read(path, "document")
    mime = mimetypes.guess_type(path)[0] or "application/octet-stream"
    return NewMedia("document", Path(path).name, mime, data)


def _settings() -> Settings:
    from bots.cli import _settings as load

    return load()


def _run(coro_factory: Any, before: Any = None) -> int:
    """Validate (``before``) first, then migrate and act: a refused command writes nothing."""
    settings = _settings()
    logging.getLogger("alembic").setLevel(logging.WARNING)

    async def go() -> int:
        services = Services.build(settings)
        try:
            if before is not None:
                before(services)
            await upgrade(services.db)
            return int(await coro_factory(services))
        finally:
            await services.db.dispose()

    return asyncio.run(go())


def _platforms(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [p.strip() for p in value.split(",") if p.strip()]


def cmd_create(args: argparse.Namespace) -> int:
    source = _read(args.text_file, "text file").decode("utf-8", errors="replace")
    if len(args.photo) > MAX_PHOTOS:
        raise InvalidInput(f"at most {MAX_PHOTOS} photos per post (got {len(args.photo)})")
    media = [_photo(p) for p in args.photo] + [_document(d) for d in args.doc]
    body = from_markdown(source)

    at: list[datetime] = []

    def validate(services: Services) -> None:
        if args.at:
            at.append(parse_when(args.at, utcnow(), services.settings.tz))
            service.check_time(services, at[0])
        service.check_platforms(services, _platforms(args.to))
        service.check_media(services, media)

    async def go(services: Services) -> int:
        post_id = await service.create(
            services,
            body=body,
            title=args.title,
            kind=PostKind.URGENT if args.urgent else PostKind(args.kind),
            platforms=_platforms(args.to),
            at=at[0] if at else None,
            created_by="cli",
            media=media,
        )
        async with services.db.read() as conn:
            post = await repo.get(conn, post_id)
        when = post.scheduled_at.astimezone(services.settings.tz) if post.scheduled_at else None
        print(
            f"post {post_id}: {post.status.value}"
            + (f" at {when:%Y-%m-%d %H:%M %Z}" if when else "")
        )
        return 0

    try:
        return _run(go, validate)
    except InvalidInput as exc:
        if args.at and str(exc) == args.at.strip()[:40]:
            raise InvalidInput(
                f'can\'t read the time {args.at!r} (try "2026-12-01 10:00")'
            ) from None
        raise


def cmd_list(args: argparse.Namespace) -> int:
    async def go(services: Services) -> int:
        async with services.db.read() as conn:
            posts = await repo.recent(conn, args.limit)
        tz = services.settings.tz
        for post in posts:
            when = (
                f"{post.scheduled_at.astimezone(tz):%Y-%m-%d %H:%M}" if post.scheduled_at else "-"
            )
            title = post.title or to_plain(post.body).split("\n", 1)[0]
            print(
                f"{post.id:>5}  {post.status.value:<17} {when:<16}  "
                f"{','.join(post.platforms):<11}  {title[:60]}"
            )
        if not posts:
            print("no posts")
        return 0

    return _run(go)


def cmd_show(args: argparse.Namespace) -> int:
    async def go(services: Services) -> int:
        async with services.db.read() as conn:
            post = await repo.get(conn, args.id)
            pubs = await repo.publications_of(conn, post.id)
            items = await media_repo.of(conn, OWNER, post.id)
        tz = services.settings.tz
        print(f"post {post.id}: {post.status.value} ({post.kind.value})")
        if post.scheduled_at:
            print(f"scheduled: {post.scheduled_at.astimezone(tz):%Y-%m-%d %H:%M %Z}")
        print(f"platforms: {', '.join(post.platforms)}")
        for pub in pubs:
            line = f"  {pub.platform}: {pub.state.value}"
            if pub.url:
                line += f" {pub.url}"
            if pub.error:
                line += f" ({pub.error})"
            print(line)
        for item in items:
            print(f"  {item.kind}: {item.filename}")
        if post.title:
            print(f"title: {post.title}")
        print()
        print(to_plain(post.body))
        return 0

    return _run(go)


def cmd_cancel(args: argparse.Namespace) -> int:
    async def go(services: Services) -> int:
        await service.cancel(services, args.id, "cli")
        print(f"post {args.id}: cancelled")
        return 0

    return _run(go)


def cmd_edit(args: argparse.Namespace) -> int:
    body = from_markdown(_read(args.text_file, "text file").decode("utf-8", errors="replace"))

    async def go(services: Services) -> int:
        await service.edit(services, args.id, body, "cli", title=args.title)
        print(f"post {args.id}: edited")
        return 0

    return _run(go)


def cmd_delete(args: argparse.Namespace) -> int:
    if not args.yes:
        raise InvalidInput("deleting removes the post from every platform: add --yes to confirm")

    async def go(services: Services) -> int:
        await service.delete(services, args.id, "cli")
        print(f"post {args.id}: deleting everywhere")
        return 0

    return _run(go)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    post = sub.add_parser("post", help="press releases: create, list, show, edit, cancel, delete")
    cmds = post.add_subparsers(dest="post_command", required=True, metavar="COMMAND")

    create = cmds.add_parser("create", help="create a post (published now or at --at)")
    create.add_argument("--text-file", required=True, help="the text, in Markdown")
    create.add_argument("--title", help="a title shown above the text")
    create.add_argument("--photo", action="append", default=[], help="a photo (up to 10)")
    create.add_argument("--doc", action="append", default=[], help="a document, e.g. a PDF")
    create.add_argument("--at", help='when, in the office\'s time zone: "2026-12-01 10:00"')
    create.add_argument("--to", help="platforms, comma-separated: telegram,vk (default: all)")
    create.add_argument("--urgent", action="store_true", help="ignore quiet hours")
    create.add_argument(
        "--kind",
        default=PostKind.PRESS_RELEASE.value,
        choices=[k.value for k in PostKind],
        help="what the post is (default press_release)",
    )
    create.set_defaults(func=cmd_create)

    listing = cmds.add_parser("list", help="the latest posts")
    listing.add_argument("--limit", type=int, default=50, help="how many (default 50)")
    listing.set_defaults(func=cmd_list)

    show = cmds.add_parser("show", help="one post with its publications")
    show.add_argument("id", type=int)
    show.set_defaults(func=cmd_show)

    cancel = cmds.add_parser("cancel", help="cancel a draft or scheduled post")
    cancel.add_argument("id", type=int)
    cancel.set_defaults(func=cmd_cancel)

    edit = cmds.add_parser("edit", help="change a post's text (published: on every platform)")
    edit.add_argument("id", type=int)
    edit.add_argument("--text-file", required=True, help="the new text, in Markdown")
    edit.add_argument("--title", help="a new title ('' removes it)")
    edit.set_defaults(func=cmd_edit)

    delete = cmds.add_parser("delete", help="delete a published post everywhere")
    delete.add_argument("id", type=int)
    delete.add_argument("--yes", action="store_true", help="confirm")
    delete.set_defaults(func=cmd_delete)
