"""A fake's switches: settings kept in its state, read and written under the state's lock.

The server's thread reads them while a test flips them from its own thread (``limits``
off for a bulk set-up, a lower ``rps``), so each access takes the state's lock; one
descriptor says that once for every fake instead of a property pair per setting.
"""

from __future__ import annotations

import threading
from typing import Any, Generic, Protocol, Self, TypeVar, overload

V = TypeVar("V")


class Guarded(Protocol):
    """A fake's state: its data and the lock that guards it."""

    @property
    def lock(self) -> threading.Lock: ...


class HasState(Protocol):
    """A fake: the public face over its guarded state."""

    @property
    def _state(self) -> Guarded: ...


def put(state: Guarded, name: str, value: Any) -> None:
    """Set one field of ``state`` under its lock."""
    with state.lock:
        setattr(state, name, value)


class Switch(Generic[V]):
    """A fake's attribute that is the state's field of the same name (``doc`` says what)."""

    def __init__(self, doc: str) -> None:
        self.__doc__ = doc
        self._name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, fake: None, owner: type | None = None) -> Self: ...

    @overload
    def __get__(self, fake: HasState, owner: type | None = None) -> V: ...

    def __get__(self, fake: HasState | None, owner: type | None = None) -> Self | V:
        if fake is None:
            return self
        state = fake._state
        with state.lock:
            value: V = getattr(state, self._name)
        return value

    def __set__(self, fake: HasState, value: V) -> None:
        put(fake._state, self._name, value)
