"""``glashatai alert …``: send an alert to a topic's subscribers, follow it, cancel it.

``send`` stores the alert and queues its notices in this process, in bounded batches (a
running ``glashatai run`` delivers them and keeps the admin chat's status message
current; if this command is interrupted, the running app finishes the queueing).
Messages are Russian, from ``[cli.alerts]`` in the text catalogue.
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable

from bots.commands import files
from bots.commands.runner import run
from shared.alerts import service
from shared.alerts.service import Figures, Preview
from shared.clock import utcnow
from shared.domain import PostStatus
from shared.posts import repo
from shared.posts.limits import decode_text
from shared.posts.quiet import quiet_until
from shared.services import Services
from shared.storage.media import NewFile
from shared.texts import Texts


def _run(work: Callable[[Services], Awaitable[int]], alert_id: int | None = None) -> int:
    return run(work, not_found="cli.alerts.not_found", item_id=alert_id)


def _read(path: str, texts: Texts) -> bytes:
    return files.read(path, texts, "cli.alerts.no_file")


def _photo(path: str, texts: Texts) -> NewFile:
    return files.photo(path, texts, "cli.alerts.no_file", "cli.alerts.not_image")


def _figures(texts: Texts, key: str, alert_id: int, topic: str, state: str, f: Figures) -> str:
    return texts(
        key,
        id=alert_id,
        topic=topic,
        state=state,
        total=f.total,
        sent=f.sent,
        unreachable=f.unreachable,
        pending=f.pending,
        failed=f.failed,
        unknown=f.unknown,
        cancelled=f.cancelled,
    )


def _sent(texts: Texts, alert_id: int, seen: Preview) -> str:
    """Who the alert is for: the reachable subscribers by platform and, apart, those who
    blocked the bot, so that the parts add up to the total (as the admin chat's preview)."""
    parts = [
        texts("alerts.preview_platform", platform=texts(f"alerts.platforms.{p}"), count=yes)
        for p, (yes, _) in seen.platforms.items()
    ]
    unreachable = sum(no for _, no in seen.platforms.values())
    if unreachable:
        parts.append(texts("cli.alerts.unreachable", count=unreachable))
    return texts(
        "cli.alerts.sent",
        id=alert_id,
        topic=seen.topic.title,
        total=seen.reachable + unreachable,
        platforms=", ".join(parts),
    )


async def _posted(services: Services, post_id: int) -> str:
    """The alert's post (``--also-post``): its number and when it comes out."""
    async with services.db.read() as conn:
        post = await repo.get(conn, post_id)
    texts, settings = services.texts, services.settings
    if post.status is PostStatus.SCHEDULED and post.scheduled_at is not None:
        when = f"{post.scheduled_at.astimezone(settings.tz):%d.%m.%Y %H:%M}"
        return texts("cli.alerts.post_later", id=post_id, when=when)
    start = settings.publishing.quiet_hours_start
    end = settings.publishing.quiet_hours_end
    if start is not None and end is not None and quiet_until(settings, utcnow()) is not None:
        return texts(
            "cli.alerts.post_now_quiet", id=post_id, start=f"{start:%H:%M}", end=f"{end:%H:%M}"
        )
    return texts("cli.alerts.post_now", id=post_id)


def cmd_send(args: argparse.Namespace) -> int:
    from bots.cli import _settings

    texts = Texts.load(_settings().texts_file)
    text = decode_text(_read(args.text_file, texts), texts, args.text_file)
    photos = [_photo(p, texts) for p in args.photo or []]

    async def go(services: Services) -> int:
        from bots.registry import post_limits

        services.limits = post_limits()  # the photos are checked as a post's are
        topic = service.topic_of(services, args.topic)
        seen = await service.preview(services, topic)
        alert_id = await service.create(
            services,
            topic=topic,
            text=text,
            photos=photos,
            urgent=args.urgent,
            also_post=args.also_post,
            actor="cli",
        )
        await service.enqueue_all(services, alert_id)
        print(_sent(services.texts, alert_id, seen))
        alert, _ = await service.status(services, alert_id)
        if alert.post_id is not None:
            print(await _posted(services, alert.post_id))
        return 0

    return _run(go)


def cmd_status(args: argparse.Namespace) -> int:
    async def go(services: Services) -> int:
        alert, found = await service.status(services, args.id)
        title = service.topic_title(services, alert.topic)
        state = services.texts(f"alerts.state.{alert.state.value}")
        print(_figures(services.texts, "cli.alerts.status", alert.id, title, state, found))
        return 0

    return _run(go, args.id)


def cmd_cancel(args: argparse.Namespace) -> int:
    async def go(services: Services) -> int:
        alert, found = await service.cancel(services, args.id, "cli")
        title = service.topic_title(services, alert.topic)
        print(_figures(services.texts, "cli.alerts.cancelled", alert.id, title, "", found))
        return 0

    return _run(go, args.id)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    alert = sub.add_parser("alert", help="alerts to subscribers: send, status, cancel")
    commands = alert.add_subparsers(dest="alert_command", required=True, metavar="COMMAND")

    send = commands.add_parser("send", help="send an alert to a topic's subscribers now")
    send.add_argument("--topic", required=True, help="the topic: its key, title or number")
    send.add_argument("--text-file", required=True, help="the notice's text (UTF-8)")
    send.add_argument("--photo", action="append", help="a photo to send with it")
    send.add_argument(
        "--urgent", action="store_true", help="urgent: goes before every other broadcast"
    )
    send.add_argument(
        "--also-post",
        action="store_true",
        help="publish it to the channel, the wall and MAX too (as a press release)",
    )
    send.set_defaults(func=cmd_send)

    status = commands.add_parser("status", help="how an alert's notices stand")
    status.add_argument("id", type=int, help="the alert's id")
    status.set_defaults(func=cmd_status)

    cancel = commands.add_parser("cancel", help="cancel the notices not sent yet; report the rest")
    cancel.add_argument("id", type=int, help="the alert's id")
    cancel.set_defaults(func=cmd_cancel)
