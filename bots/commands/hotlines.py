"""``glashatai hotline …``: create, list, show and close hotlines from the terminal.

Times are wall-clock times in the office's time zone (``GLASHATAI_TIMEZONE``). A running
``glashatai run`` picks new hotlines up at its next scheduler sync. Messages are Russian,
from the text catalogue (``[hotline]``, ``[cli.hotlines]``).
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TextIO

from bots.commands.runner import run
from bots.registry import deep_links, post_limits
from shared.hotlines import campaigns, deadlines, digest, drafts
from shared.hotlines.conversation_links import start_payload
from shared.services import Services
from shared.storage import audit
from shared.texts import Texts


def _run(work: Callable[[Services], Awaitable[int]], hotline_id: int | None = None) -> int:
    return run(work, not_found="cli.hotlines.not_found", item_id=hotline_id)


def _counts(texts: Texts, t: campaigns.Tally) -> str:
    """``received`` is ``answered + rejected + waiting``; the questions of banned citizens,
    kept out of sight, are counted apart (as ``/stats`` does) when there are any."""
    counts = texts(
        "cli.hotlines.counts",
        received=t.received,
        answered=t.answered,
        rejected=t.rejected,
        waiting=t.waiting,
    )
    if t.banned:
        counts += "; " + texts("cli.hotlines.counts_banned", banned=t.banned)
    return counts


def cmd_create(args: argparse.Namespace) -> int:
    async def go(services: Services) -> int:
        tz = services.settings.tz
        start = campaigns.parse_local(args.start, tz)
        end = campaigns.parse_local(args.end, tz)
        async with services.db.write() as conn:
            hotline = await campaigns.create(
                conn,
                topic=args.topic,
                description=args.description or "",
                starts_at=start,
                ends_at=end,
                created_by="cli",
            )
            if args.answer_days is not None:
                await deadlines.set_answer_days(conn, hotline.id, args.answer_days)
            await audit.record(conn, "cli", "hotline.create", "hotline", hotline.id)
        created = services.texts(
            "hotline.created",
            id=hotline.id,
            topic=hotline.topic,
            start=campaigns.local(hotline.starts_at, tz),
            end=campaigns.local(hotline.ends_at, tz),
        )
        print(
            f"{created} " + services.texts("cli.hotlines.timezone", tz=services.settings.timezone)
        )
        return 0

    return _run(go)


def cmd_list(args: argparse.Namespace) -> int:
    async def go(services: Services) -> int:
        tz, texts = services.settings.tz, services.texts
        async with services.db.read() as conn:
            found = await campaigns.listing(conn)
            if not found:
                print(texts("hotline.list_empty"))
            for h in found:
                counts = _counts(texts, await campaigns.tally(conn, h.id))
                print(
                    f"{h.id}\t{texts(f'hotline.status_{h.status.value}')}"
                    f"\t{campaigns.local(h.starts_at, tz)} – {campaigns.local(h.ends_at, tz)}"
                    f"\t{h.topic}\t({counts})"
                )
        return 0

    return _run(go)


def cmd_show(args: argparse.Namespace) -> int:
    """One hotline, and each configured platform's link that opens the bot straight on it."""

    async def go(services: Services) -> int:
        tz, texts = services.settings.tz, services.texts
        async with services.db.read() as conn:
            h = await campaigns.get(conn, args.id)
            t = await campaigns.tally(conn, h.id)
        line = texts(
            "hotline.list_line",
            id=h.id,
            topic=h.topic,
            status=texts(f"hotline.status_{h.status.value}"),
            start=campaigns.local(h.starts_at, tz),
            end=campaigns.local(h.ends_at, tz),
        )
        print(f"{line} ({_counts(texts, t)})")
        if h.description:
            print(h.description)
        links = await deep_links(services.settings, start_payload(h.id))
        print(texts("cli.hotlines.links") if links else texts("hotline.links_none"))
        for title, url in links:
            print(texts("hotline.link_line", platform=title, url=url))
        return 0

    return _run(go, args.id)


def cmd_close(args: argparse.Namespace) -> int:
    async def go(services: Services) -> int:
        hotline = await drafts.close(services, "cli", args.id)
        print(services.texts("hotline.closed", id=hotline.id, topic=hotline.topic))
        return 0

    return _run(go, args.id)


def cmd_digest(args: argparse.Namespace) -> int:
    """The digest as text, a file or a draft post; each is recorded in the audit log as a
    digest made (``hotline.digest``, as ``/digest`` records it), which retention counts from.
    With nothing to publish it refuses as ``/digest`` does, and writes no file."""

    async def go(services: Services) -> int:
        texts, tz = services.texts, services.settings.tz
        if args.draft:
            # The draft is made for the platforms its text fits (as from the admin chat):
            # that needs their limits, read from each platform's light ``limits`` module.
            services.limits = post_limits()
            drafted = await digest.draft_post(services, args.id, "cli")
            await _made(services, drafted.digest)
            key = "draft_created" if drafted.created else "draft_exists"
            print(texts(f"cli.hotlines.{key}", id=drafted.post_id))
            _left_out(texts, drafted.digest, sys.stdout)
            return 0
        if args.output is not None and not Path(args.output).parent.is_dir():
            # Said before the hotline is read: the command line is wrong whatever it holds.
            missing = os.strerror(errno.ENOENT)
            raise FileNotFoundError(errno.ENOENT, missing, args.output)
        found = await digest.publishable(services, args.id)
        text = f"{digest.title(found, texts)}\n\n{digest.document(found, texts, tz).plain}\n"
        if args.output is None:
            print(text, end="")
            await _made(services, found)
            _left_out(texts, found, sys.stderr)  # stdout is the digest's text alone
            return 0
        target = Path(args.output)
        if target.suffix.lower() == ".docx":
            data = await asyncio.to_thread(
                digest.docx, found, texts, tz, services.settings.office_name
            )
            await asyncio.to_thread(target.write_bytes, data)
        else:
            await asyncio.to_thread(target.write_text, text, encoding="utf-8")
        await _made(services, found)
        print(texts("cli.hotlines.written", path=target, count=len(found.entries)))
        _left_out(texts, found, sys.stdout)
        return 0

    return _run(go, args.id)


async def _made(services: Services, found: digest.Digest) -> None:
    async with services.db.write() as conn:
        await digest.record_made(conn, "cli", found)


def _left_out(texts: Texts, found: digest.Digest, stream: TextIO) -> None:
    if note := digest.left_out_note(found, texts):
        print(note, file=stream)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    hotline = sub.add_parser("hotline", help="hotlines: create, list, show, close, digest")
    commands = hotline.add_subparsers(dest="hotline_command", required=True, metavar="COMMAND")

    create = commands.add_parser(
        "create", help="schedule a hotline (times in the office's time zone)"
    )
    create.add_argument("--topic", required=True, help="what the hotline is about")
    create.add_argument("--start", required=True, help='start, e.g. "2026-12-01 10:00"')
    create.add_argument("--end", required=True, help='end, e.g. "2026-12-01 12:00"')
    create.add_argument("--description", default="", help="a short description for citizens")
    create.add_argument(
        "--answer-days",
        type=int,
        default=None,
        help="answer its questions within this many days of its end (default: the setting)",
    )
    create.set_defaults(func=cmd_create)

    listing = commands.add_parser("list", help="every hotline with its status and counts")
    listing.set_defaults(func=cmd_list)

    show = commands.add_parser(
        "show", help="one hotline, with the links that open the bot straight on it"
    )
    show.add_argument("id", type=int, help="the hotline's id")
    show.set_defaults(func=cmd_show)

    close = commands.add_parser("close", help="close a hotline now (posts its summary)")
    close.add_argument("id", type=int, help="the hotline's id")
    close.set_defaults(func=cmd_close)

    summary = commands.add_parser(
        "digest",
        help="answered questions marked publishable: text, a .docx, or a draft post",
    )
    summary.add_argument("id", type=int, help="the hotline's id")
    summary.add_argument(
        "--output", "-o", help="write to a file: .docx for Word, anything else for plain text"
    )
    summary.add_argument(
        "--draft",
        action="store_true",
        help="create a draft post of it (previewed in the admin chat)",
    )
    summary.set_defaults(func=cmd_digest)
