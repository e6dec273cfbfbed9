"""Run the fake by hand: ``python -m simulators.vk --port 8082``."""

from __future__ import annotations

import argparse
import json
import logging

from ..running import until_stopped
from . import control
from .fake import FakeVK


def main(argv: list[str] | None = None) -> None:
    """Serve until interrupted, printing the base URL and tokens as JSON."""
    parser = argparse.ArgumentParser(
        prog="python -m simulators.vk",
        description=__doc__,
        epilog=control.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8082, help="0 picks a free port")
    parser.add_argument("--group-id", type=int, default=229000001)
    parser.add_argument("--group-token", default="vk1.a.group-TEST")
    parser.add_argument("--user-token", default="vk1.a.user-TEST")
    parser.add_argument("--no-limits", action="store_true", help="disable rate limits")
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
    stopped = until_stopped()
    with fake:
        info = {
            "base_url": fake.base_url,
            "group_id": fake.group_id,
            "group_token": fake.group_token,
            "user_token": fake.user_token,
        }
        print(json.dumps(info), flush=True)
        stopped.wait()


if __name__ == "__main__":
    main()
