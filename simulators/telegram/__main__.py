"""Run the fake by hand: ``python -m simulators.telegram --port 8081``."""

from __future__ import annotations

import argparse
import sys

from ..running import command, serve
from . import control
from .fake import DEFAULT_TOKEN, FakeTelegram

VALUED = ("--chat", "--user")


def joined(argv: list[str]) -> list[str]:
    """``--chat -100…`` as ``--chat=-100…``: argparse reads a value starting with '-' as an
    option, and group and channel ids are negative."""
    out: list[str] = []
    values = iter(argv)
    for arg in values:
        if arg in VALUED:
            value = next(values, None)
            out.append(arg if value is None else f"{arg}={value}")
        else:
            out.append(arg)
    return out


def parser() -> argparse.ArgumentParser:
    parser = command(
        "python -m simulators.telegram",
        "Fake Telegram Bot API server.",
        control.__doc__,
        8081,
        "turn flood limits off",
    )
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument(
        "--chat",
        action="append",
        default=[],
        metavar="ID:TYPE[:TITLE]",
        help="register a chat, e.g. --chat -1001234567890:supergroup:Admins (repeatable)",
    )
    parser.add_argument(
        "--user", action="append", default=[], metavar="ID:NAME", help="register a user"
    )
    parser.add_argument(
        "--auto-chats", action="store_true", help="accept any chat_id (creates the chat)"
    )
    return parser


def build(args: argparse.Namespace) -> FakeTelegram:
    """The fake with the chats and users the command line asks for (not started)."""
    fake = FakeTelegram(
        token=args.token, limits=not args.no_limits, auto_create_chats=args.auto_chats
    )
    for spec in args.user:
        user_id, _, name = spec.partition(":")
        fake.add_user(int(user_id), name or f"User{user_id}")
    for spec in args.chat:
        chat_id, chat_type, *title = spec.split(":", 2)
        fake.add_chat(int(chat_id), chat_type, title=title[0] if title else None)
    return fake


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(joined(sys.argv[1:] if argv is None else argv))
    fake = build(args)

    def announce(url: str) -> None:
        print(url, flush=True)
        print(f"token: {args.token}", flush=True)

    serve(fake, args, announce)


if __name__ == "__main__":
    main()
