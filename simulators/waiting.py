"""The one way tests wait: poll an observable condition until it holds or a deadline passes.

Tests synchronise on events (the fake logged the request, a row reached its state), never
on a fixed sleep. Every helper in ``tests/`` that waits is a condition handed to ``wait``.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


def _timeout(timeout: float, describe: Callable[[], object] | None) -> TimeoutError:
    detail = f": {describe()}" if describe is not None else ""
    return TimeoutError(f"condition not met within {timeout} s{detail}")


async def wait(
    predicate: Callable[[], T | Awaitable[T]],
    timeout: float = 10.0,
    interval: float = 0.02,
    describe: Callable[[], object] | None = None,
) -> T:
    """Poll ``predicate`` (sync or async) until its value is truthy; return that value.

    ``describe`` is called on timeout to say what was seen instead.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if time.monotonic() >= deadline:
            raise _timeout(timeout, describe)
        await asyncio.sleep(interval)


def wait_sync(
    predicate: Callable[[], T],
    timeout: float = 10.0,
    interval: float = 0.02,
    describe: Callable[[], object] | None = None,
) -> T:
    """Blocking twin of ``wait`` for sync code (e.g. a test driving ``vk_api``)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise _timeout(timeout, describe)
        time.sleep(interval)


class Waiting:
    """``fake.wait_for(...)``: ``wait`` offered on the fakes themselves."""

    async def wait_for(
        self, predicate: Callable[[], T], timeout: float = 5.0, interval: float = 0.01
    ) -> T:
        """Poll ``predicate`` on the caller's loop until truthy; returns its value."""
        return await wait(predicate, timeout, interval)

    def wait_for_sync(
        self, predicate: Callable[[], T], timeout: float = 5.0, interval: float = 0.01
    ) -> T:
        """Blocking twin of ``wait_for`` for sync code."""
        return wait_sync(predicate, timeout, interval)
