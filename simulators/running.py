"""Serving a simulator from its own command until Ctrl-C or SIGTERM.

``python -m simulators.telegram`` (``.vk``, ``.max``) is how a fake is started by hand and
how the process tests start one; the options where to listen and whether the limits hold,
and the way the command waits and stops, are the same for all three.
"""

from __future__ import annotations

import argparse
import signal
import threading
from collections.abc import Callable

from .serving import Served


def until_stopped() -> threading.Event:
    """An event set by SIGINT or SIGTERM; install it before saying the server is ready.

    Handlers installed first mean a signal that arrives right after the address is printed
    stops the server cleanly (exit 0) instead of killing it mid-start.
    """
    stopped = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stopped.set())
    return stopped


def command(
    prog: str, description: str, epilog: str | None, port: int, limits: str
) -> argparse.ArgumentParser:
    """A simulator's command line: ``--host``, ``--port`` (its usual one) and ``--no-limits``.

    The control endpoints' description (``epilog``) is shown as written.
    """
    parser = argparse.ArgumentParser(
        prog=prog,
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=port, help="0 picks a free port")
    parser.add_argument("--no-limits", action="store_true", help=limits)
    return parser


def serve(fake: Served, args: argparse.Namespace, announce: Callable[[str], None]) -> None:
    """Serve ``fake`` on ``--host``/``--port`` until stopped; ``announce`` gets the base URL.

    What a client needs (the URL, tokens) is printed by ``announce`` once the server
    answers, so a parent process may connect as soon as it reads the line.
    """
    stopped = until_stopped()
    url = fake.start(port=args.port, host=args.host)
    try:
        announce(url)
        stopped.wait()  # the server runs in its own thread; this one only waits
    finally:
        fake.stop()
