"""Bots Long Poll: the event queue and the ``/longpoll/{group_id}`` endpoint.

Event numbers (``ts``) count from 1; ``groups.getLongPollServer`` returns the
number the next event will get, and ``a_check`` with ``ts=T`` returns events
numbered ``>= T`` plus the new ``ts``.  Answers follow VK: ``{"failed": 1,
"ts": ...}`` when ``ts`` is out of the kept history or ahead of it,
``{"failed": 2}`` for an unknown/expired key, ``{"failed": 3}`` when forced.
"""

from __future__ import annotations

import secrets
from typing import Any

from aiohttp import web

from simulators.serving import HUB_KEY

from .keys import STATE_KEY
from .state import API_VERSION, State

HISTORY = 1000  # events kept; older ts values answer failed: 1
MAX_WAIT = 90


def issue_server(state: State) -> dict[str, Any]:
    """A fresh key (old keys stay valid) with the server URL and current ts."""
    key = secrets.token_hex(20)
    state.lp_keys.add(key)
    return {
        "key": key,
        "server": state.url(f"/longpoll/{state.group_id}"),
        "ts": str(state.lp_next_seq),
    }


def push_event(state: State, event_type: str, obj: dict[str, Any]) -> dict[str, Any]:
    """Queue an event shaped like VK's; the caller must call ``state.lp_notify()``."""
    event = {
        "group_id": state.group_id,
        "type": event_type,
        "event_id": secrets.token_hex(20),
        "v": API_VERSION,
        "object": obj,
    }
    state.lp_events.append((state.lp_next_seq, event))
    state.lp_next_seq += 1
    del state.lp_events[:-HISTORY]
    return event


def _poll_once(state: State, key: str, ts_raw: str) -> dict[str, Any] | None:
    """An immediate answer, or None when the caller should keep waiting."""
    if state.lp_forced:
        code = state.lp_forced.pop(0)
        return {"failed": code, "ts": str(state.lp_next_seq)} if code == 1 else {"failed": code}
    if key not in state.lp_keys:
        return {"failed": 2}
    oldest = state.lp_events[0][0] if state.lp_events else state.lp_next_seq
    try:
        ts = int(ts_raw)
    except ValueError:
        ts = -1
    if ts < oldest or ts > state.lp_next_seq:
        return {"failed": 1, "ts": str(state.lp_next_seq)}
    updates = [event for seq, event in state.lp_events if seq >= ts]
    if updates:
        return {"ts": str(state.lp_next_seq), "updates": updates}
    return None


async def handle_check(request: web.Request) -> web.Response:
    """``GET /longpoll/{group_id}?act=a_check&key=K&ts=T&wait=W``."""
    state = request.app[STATE_KEY]
    query = request.query
    if query.get("act") != "a_check":
        return web.json_response({"failed": 2, "error": "act=a_check is required"}, status=400)
    if request.match_info["group_id"] != str(state.group_id):
        return web.json_response({"failed": 2})
    try:
        wait = min(max(int(query.get("wait", "25")), 0), MAX_WAIT)
    except ValueError:
        wait = 25

    def attempt(final: bool) -> dict[str, Any] | None:
        with state.lock:
            answer = _poll_once(state, query.get("key", ""), query.get("ts", ""))
            if answer is None and final:
                answer = {"ts": str(state.lp_next_seq), "updates": []}
        return answer

    return web.json_response(await request.app[HUB_KEY].poll(wait, attempt))
