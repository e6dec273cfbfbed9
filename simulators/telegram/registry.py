"""The registry of Bot API methods: name, fields read, handler.

Each handler runs with ``State.lock`` held and either returns the ``result`` or
raises ``ApiError``. Reading a field not declared here fails (see ``params``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .params import Params
from .state import State

Handler = Callable[[State, Params], Any]


@dataclass(frozen=True)
class MethodSpec:
    """A method: its canonical name, the fields it reads, its handler."""

    name: str
    fields: frozenset[str]
    handler: Handler | None


METHODS: dict[str, MethodSpec] = {}


def method(name: str, *fields: str) -> Callable[[Handler], Handler]:
    """Register a handler for ``name`` reading ``fields``."""

    def register(handler: Handler) -> Handler:
        METHODS[name.lower()] = MethodSpec(name, frozenset(fields), handler)
        return handler

    return register


METHODS["getupdates"] = MethodSpec(
    "getUpdates", frozenset({"offset", "limit", "timeout", "allowed_updates"}), None
)
