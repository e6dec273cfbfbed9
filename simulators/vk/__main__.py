"""Run the fake by hand: ``python -m simulators.vk --port 8082``."""

from __future__ import annotations

import json
import logging

from ..running import command, serve
from . import control
from .fake import FakeVK


def main(argv: list[str] | None = None) -> None:
    """Serve until interrupted, printing the base URL and tokens as JSON."""
    parser = command(
        "python -m simulators.vk", __doc__, control.__doc__, 8082, "disable rate limits"
    )
    parser.add_argument("--group-id", type=int, default=229000001)
    parser.add_argument("--group-token", default="vk1.a.group-TEST")
    parser.add_argument("--user-token", default="vk1.a.user-TEST")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    fake = FakeVK(
        args.group_id,
        args.group_token,
        args.user_token,
        limits=not args.no_limits,
        host=args.host,
        port=args.port,
    )

    def announce(url: str) -> None:
        info = {
            "base_url": url,
            "group_id": fake.group_id,
            "group_token": fake.group_token,
            "user_token": fake.user_token,
        }
        print(json.dumps(info), flush=True)

    serve(fake, args, announce)


if __name__ == "__main__":
    main()
