"""Scripted faults: a test's "the next N calls of this method fail" (lock held by callers).

Every fake keeps a list of them and answers a matching call from the first that applies;
what a fault is made of and how it is answered is each platform's own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Protocol, TypeVar


class Scripted(Protocol):
    """A fault with the number of calls it still applies to."""

    times: int


class Scripts(Protocol):
    """A fake's state with its list of faults."""

    @property
    def lock(self) -> threading.Lock: ...

    @property
    def faults(self) -> list[Any]: ...


F = TypeVar("F", bound=Scripted)


def script(state: Scripts, fault: Scripted) -> None:
    """Queue ``fault`` behind those already scripted (a test's call, from any thread)."""
    with state.lock:
        state.faults.append(fault)


def take_fault(faults: list[F], applies: Callable[[F], bool]) -> F | None:
    """The first fault that ``applies`` to a call, used up by one time (dropped at zero)."""
    for fault in faults:
        if fault.times > 0 and applies(fault):
            fault.times -= 1
            if fault.times == 0:
                faults.remove(fault)
            return fault
    return None
