"""Serving a simulator from its own command until Ctrl-C or SIGTERM.

``python -m simulators.telegram`` (``.vk``, ``.max``) is how a fake is started by hand and
how the process tests start one; the options where to listen and whether the limits hold,
and the way the command waits and stops, are the same for all three.
"""

from __future__ import annotations

import argparse
import signal
from collections.abc import Callable

from .serving import Served

STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})


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
    """Serve ``fake`` on ``--host``/``--port`` until Ctrl-C or SIGTERM, then stop it (exit 0).

    ``announce`` gets the base URL once the server answers and prints what a client needs
    (the URL, tokens), so a parent process may connect as soon as it reads the line.

    The stop signals are blocked before the server's thread exists (it inherits the mask)
    and taken with ``sigwait``: a signal that comes early, even before the address is
    printed, waits for it, and none can be delivered to the server's thread, where it
    would leave the main thread waiting for ever, nor run a handler in the middle of it.
    """
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    url = fake.start(port=args.port, host=args.host)
    try:
        announce(url)
        signal.sigwait(STOP_SIGNALS)
    finally:
        fake.stop()
