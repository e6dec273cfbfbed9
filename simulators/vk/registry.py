"""The table of API methods the fake implements.

Each entry declares the token types allowed (cross-checked with the schema's
``access_token_type``), every parameter the handler may read (each must be a
parameter of the method in the schema) and the required ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .params import Params
from .state import State


@dataclass(frozen=True)
class Call:
    """What a handler gets: the state (lock NOT held), params and token type."""

    state: State
    params: Params
    token_type: str  # "user" | "group"

    @property
    def caller_id(self) -> int:
        """The acting owner: the user for a user token, ``-group_id`` for a group one."""
        return self.state.user_id if self.token_type == "user" else -self.state.group_id


Handler = Callable[[Call], Any]


@dataclass(frozen=True)
class MethodSpec:
    """Declaration of one implemented method."""

    name: str
    tokens: frozenset[str]
    params: frozenset[str]
    required: frozenset[str]
    handler: Handler


METHODS: dict[str, MethodSpec] = {}


def api_method(
    name: str,
    *,
    tokens: tuple[str, ...],
    params: tuple[str, ...] = (),
    required: tuple[str, ...] = (),
) -> Callable[[Handler], Handler]:
    """Register a handler for ``name``."""
    assert set(required) <= set(params), f"{name}: required params must be declared"
    assert set(tokens) <= {"user", "group"}, f"{name}: unknown token type"

    def register(handler: Handler) -> Handler:
        assert name not in METHODS, f"{name} registered twice"
        METHODS[name] = MethodSpec(
            name, frozenset(tokens), frozenset(params), frozenset(required), handler
        )
        return handler

    return register
