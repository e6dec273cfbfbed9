"""Serving a fake: its aiohttp app on a private event loop in a daemon thread.

Async tests, sync code (``vk_api`` runs in threads) and subprocesses all talk to the same
fake, so none of them may own its loop: each fake serves from a thread of its own. The
thread, the loop's start and stop, and the waking of long polls are the same for every
platform; what a fake serves is its own (``build`` hands over its application).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Self, TypeVar

from aiohttp import web

T = TypeVar("T")


class Hub:
    """Wakes long polls and cuts delayed answers short when the server stops.

    It lives on the server's loop; ``notify`` may be called from any thread (a test's
    injection, a control request), which is why waking goes through the loop.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._event = asyncio.Event()
        self.closing = asyncio.Event()

    def notify(self) -> None:
        """Wake every waiting poll (a no-op once the loop is closed)."""
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def sleep(self, seconds: float) -> None:
        """A delayed answer's wait: ``seconds``, or less when the server stops."""
        if seconds <= 0 or self.closing.is_set():
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.closing.wait(), seconds)

    async def poll(self, timeout: float, attempt: Callable[[bool], T | None]) -> T:
        """A long poll: ``attempt`` again after every notification until it answers.

        ``attempt(final)`` runs once at once; ``final`` is True when ``timeout`` seconds
        have passed or the server is stopping, and then it must answer (its empty answer).
        The waiter is taken before each attempt, so a notification in between is not lost.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            waiter = self._event
            final = loop.time() >= deadline or self.closing.is_set()
            answer = attempt(final)
            if answer is not None:
                return answer
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiter.wait(), max(deadline - loop.time(), 0))


HUB_KEY = web.AppKey("simulator_hub", Hub)


class ServerThread:
    """Serves the application ``build`` makes from a daemon thread with its own loop.

    ``build`` gets the new loop's ``Hub`` (put under ``HUB_KEY`` in the application too),
    so a fake can hand its ``notify`` to the code that queues updates, and the base URL,
    which the answers that carry links (uploads, media) need from the first request on.
    """

    def __init__(
        self,
        name: str,
        build: Callable[[Hub, str], web.Application],
        *,
        handler_cancellation: bool = True,
        shutdown_timeout: float = 1.0,
    ) -> None:
        self._name = name
        self._build = build
        self._handler_cancellation = handler_cancellation
        self._shutdown_timeout = shutdown_timeout
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._hub: Hub | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def running(self) -> bool:
        """Started and not stopped since."""
        return self._thread is not None

    def start(self, host: str, port: int) -> str:
        """Bind (an ``OSError`` such as a port in use is raised here), serve, return the URL."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
        except OSError:
            sock.close()
            raise
        bound = sock.getsockname()[1]
        self._ready.clear()
        self._error = None
        self._thread = threading.Thread(
            target=self._run,
            args=(sock, f"http://{host}:{bound}"),
            name=f"{self._name}-{bound}",
            daemon=True,
        )
        self._thread.start()
        if not self._ready.wait(10) or self._error is not None:
            self._thread.join(5)
            self._thread = None
            raise RuntimeError(f"{self._name} server failed to start") from self._error
        return f"http://{host}:{bound}"

    def notify(self) -> None:
        """Wake long polls (from any thread; nothing to wake before the start)."""
        hub = self._hub
        if hub is not None:
            hub.notify()

    def stop(self) -> None:
        """Wake long polls and delayed answers, shut down, join the thread."""
        thread, loop, hub = self._thread, self._loop, self._hub
        if thread is None or loop is None or hub is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop is already closed
            loop.call_soon_threadsafe(hub.closing.set)
        thread.join(15)
        self._thread = None

    def _run(self, sock: socket.socket, url: str) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve(sock, url))
        except BaseException as error:  # reported to start()
            self._error = error
            self._ready.set()
        finally:
            sock.close()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _serve(self, sock: socket.socket, url: str) -> None:
        hub = Hub(asyncio.get_running_loop())
        self._hub = hub
        app = self._build(hub, url)
        app[HUB_KEY] = hub
        runner = web.AppRunner(
            app,
            handle_signals=False,
            access_log=None,
            handler_cancellation=self._handler_cancellation,
            shutdown_timeout=self._shutdown_timeout,
        )
        await runner.setup()
        try:
            await web.SockSite(runner, sock).start()
            self._ready.set()
            await hub.closing.wait()
        finally:
            hub.closing.set()
            hub.notify()
            await runner.cleanup()


class Served:
    """``start``/``stop`` and ``with`` for a fake that serves through a ``ServerThread``."""

    _server: ServerThread
    _host: str
    _port: int
    base_url: str

    def _serve_from(self, server: ServerThread, host: str, port: int) -> None:
        """Serve through ``server`` on ``host``/``port`` unless ``start`` says otherwise."""
        self._server = server
        self._host, self._port = host, port
        self.base_url = ""

    def start(self, port: int | None = None, host: str | None = None) -> str:
        """Start serving (on the address given when made, unless given here); the base URL."""
        if self._server.running:
            raise RuntimeError(f"{type(self).__name__} is already started")
        self.base_url = self._server.start(
            self._host if host is None else host, self._port if port is None else port
        )
        return self.base_url

    def stop(self) -> None:
        """Stop serving: pending long polls and delayed answers end at once."""
        self._server.stop()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
