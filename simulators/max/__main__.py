"""Run the fake by hand: ``python -m simulators.max --port 8083``."""

from __future__ import annotations

import json
import logging

from ..running import command, serve
from . import control
from .fake import DEFAULT_TOKEN, FakeMax


def main(argv: list[str] | None = None) -> None:
    """Serve until interrupted, printing the base URL, token and channel id as JSON."""
    parser = command(
        "python -m simulators.max",
        __doc__,
        control.__doc__,
        8083,
        "disable the 30 requests/s limit",
    )
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument(
        "--not-ready", type=int, default=1, help="sends answered attachment.not.ready per upload"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    fake = FakeMax(
        args.token,
        limits=not args.no_limits,
        not_ready_attempts=args.not_ready,
        host=args.host,
        port=args.port,
    )

    def announce(url: str) -> None:
        info = {"base_url": url, "token": fake.token, "channel_id": fake.channel_id}
        print(json.dumps(info), flush=True)

    serve(fake, args, announce)


if __name__ == "__main__":
    main()
