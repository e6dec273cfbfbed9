"""Run the fake by hand: ``python -m simulators.max --port 8083``."""

from __future__ import annotations

import argparse
import json
import logging

from ..running import until_stopped
from . import control
from .fake import DEFAULT_TOKEN, FakeMax


def main(argv: list[str] | None = None) -> None:
    """Serve until interrupted, printing the base URL, token and channel id as JSON."""
    parser = argparse.ArgumentParser(
        prog="python -m simulators.max",
        description=__doc__,
        epilog=control.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8083, help="0 picks a free port")
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--no-limits", action="store_true", help="disable the 30 requests/s limit")
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
    stopped = until_stopped()
    with fake:
        info = {"base_url": fake.base_url, "token": fake.token, "channel_id": fake.channel_id}
        print(json.dumps(info), flush=True)
        stopped.wait()


if __name__ == "__main__":
    main()
