"""Serving a simulator from its own command until Ctrl-C or SIGTERM."""

from __future__ import annotations

import signal
import threading


def until_stopped() -> threading.Event:
    """An event set by SIGINT or SIGTERM; install it before saying the server is ready.

    Handlers installed first mean a signal that arrives right after the address is printed
    stops the server cleanly (exit 0) instead of killing it mid-start.
    """
    stopped = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stopped.set())
    return stopped
