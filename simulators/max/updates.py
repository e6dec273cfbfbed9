"""``GET /updates``: the update queue, ``marker`` and long polling.

Updates are numbered from 1. A request's ``marker`` says "everything before this is
handled": the fake forgets nothing, but a request without ``marker`` starts from the
highest marker seen so far, so a client that restarts with its saved marker gets neither
a loss nor a repeat, and one that restarts without it gets what was not yet acknowledged.
The answer's ``marker`` is the one to send next. ``types`` filters; skipped updates are
consumed like the others.
"""

from __future__ import annotations

from typing import Any

from simulators.serving import Hub

from .state import State, now_ms


def push(state: State, update_type: str, fields: dict[str, Any]) -> dict[str, Any]:
    """Queue an update (lock held); the caller calls ``state.notify()`` after releasing."""
    update = {"update_type": update_type, "timestamp": now_ms(), **fields}
    state.updates.append((state.next_marker, update))
    state.next_marker += 1
    return update


def take(
    state: State, marker: int | None, limit: int, types: set[str] | None
) -> tuple[list[dict[str, Any]], int]:
    """Updates from ``marker`` on (lock held) and the next marker."""
    if marker is not None:
        state.committed_marker = max(state.committed_marker, marker)
    start = marker if marker is not None else state.committed_marker
    chosen: list[dict[str, Any]] = []
    next_marker = start
    for number, update in state.updates:
        if number < start:
            continue
        if len(chosen) >= limit:
            break
        next_marker = number + 1
        if types is None or update["update_type"] in types:
            chosen.append(update)
    return chosen, next_marker


async def long_poll(state: State, hub: Hub, query: dict[str, str]) -> dict[str, Any]:
    """Wait up to ``timeout`` seconds for updates (the query is already validated)."""
    limit = int(query.get("limit", "100"))
    timeout = int(query.get("timeout", "30"))
    marker = int(query["marker"]) if "marker" in query else None
    types = set(query["types"].split(",")) if query.get("types") else None

    def attempt(final: bool) -> dict[str, Any] | None:
        nonlocal marker
        with state.lock:
            chosen, next_marker = take(state, marker, limit, types)
        if chosen or final:
            return {"updates": chosen, "marker": next_marker}
        marker = next_marker
        return None

    return await hub.poll(timeout, attempt)
