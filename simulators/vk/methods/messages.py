"""messages.* methods: send, edit, callback answers, conversations."""

from __future__ import annotations

import time
from typing import Any

from ..attachments import attachment_object, validate_attachments
from ..errors import VkError, invalid, missing
from ..keyboard import parse_event_data, parse_keyboard
from ..longpoll import push_event
from ..registry import Call, api_method
from ..state import CHAT_PEER_START, SentMessage, State, now

MAX_MESSAGE = 4096
RANDOM_ID_TTL = 3600.0
EVENT_TTL = 60.0
EDIT_WINDOW = 24 * 3600
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


def can_write(state: State, peer_id: int) -> int | None:
    """None when the community may message ``peer_id``, else the VK error code."""
    if peer_id >= CHAT_PEER_START:
        return 917
    if peer_id <= 0:
        return 932
    if peer_id in state.blocked or peer_id not in state.allowed:
        return 901
    return None


def message_object(state: State, msg: SentMessage) -> dict[str, Any]:
    """An outbound message as a ``messages_message`` object."""
    obj: dict[str, Any] = {
        "id": msg.id,
        "date": msg.date,
        "peer_id": msg.peer_id,
        "from_id": msg.from_id,
        "out": 1,
        "text": msg.message,
        "conversation_message_id": msg.conversation_message_id,
        "random_id": msg.random_id,
        "attachments": [attachment_object(state, ref) for ref in msg.attachments],
        "fwd_messages": [],
        "important": False,
        "is_hidden": False,
    }
    if msg.keyboard is not None:
        obj["keyboard"] = msg.keyboard
    return obj


def _content(call: Call) -> tuple[str, list[str], dict[str, Any] | None]:
    """Text, attachments and keyboard of send/edit, validated."""
    text = call.params.get("message") or ""
    if len(text) > MAX_MESSAGE:
        raise VkError(914)
    attachments = call.params.items("attachment")
    raw_keyboard = call.params.get("keyboard")
    keyboard = parse_keyboard(raw_keyboard) if raw_keyboard else None
    with call.state.lock:
        validate_attachments(call.state, attachments, param="attachment")
    return text, attachments, keyboard


def _check_group_param(call: Call) -> None:
    group_id = call.params.integer("group_id")
    if group_id is not None and group_id != call.state.group_id:
        raise invalid("group_id")


MAX_PEER_IDS = 100  # messages.send ``peer_ids``: maxItems in the method's schema


@api_method(
    "messages.send",
    tokens=("user", "group"),
    params=(
        "user_id",
        "peer_id",
        "peer_ids",
        "random_id",
        "message",
        "attachment",
        "keyboard",
        "reply_to",
        "payload",
        "group_id",
        "dont_parse_links",
        "disable_mentions",
    ),
    # Not required by the schema, but v5.90+ rejects a send without it.
    required=("random_id",),
)
def messages_send(call: Call) -> int | list[dict[str, Any]]:
    """Send one message; the same (peer, random_id) within an hour is not resent.

    With ``peer_ids`` (up to 100) the same message goes to each peer and the answer is a
    list with one item per peer: its message ids, or its own ``error``.
    """
    params = call.params
    random_id = params.require_integer("random_id")
    if not INT32_MIN <= random_id <= INT32_MAX:
        raise invalid("random_id", "is out of int32 range")
    raw_peers = params.items("peer_ids")
    peer_id = params.integer("peer_id") or params.integer("user_id")
    if raw_peers and peer_id is not None:
        raise invalid("peer_ids", "can't be given with peer_id")
    if peer_id is None and not raw_peers:
        raise missing("peer_id")
    try:
        peers = [int(p) for p in raw_peers]
    except ValueError:
        raise invalid("peer_ids", "not integer") from None
    if len(peers) > MAX_PEER_IDS:
        raise invalid("peer_ids", f"too many recipients (at most {MAX_PEER_IDS})")
    if len(set(peers)) != len(peers):
        raise invalid("peer_ids", "a recipient is repeated")
    _check_group_param(call)
    params.flag("dont_parse_links")
    params.flag("disable_mentions")
    text, attachments, keyboard = _content(call)
    if not text and not attachments:
        raise invalid("message", "is empty or invalid")
    reply_to = params.integer("reply_to")
    if peers and reply_to is not None:
        raise invalid("reply_to", "can't be used with peer_ids")
    if not peers:
        assert peer_id is not None
        msg_id, _ = _send_one(call, peer_id, random_id, text, attachments, keyboard, reply_to)
        return msg_id
    items: list[dict[str, Any]] = []
    for peer in peers:
        try:
            msg_id, cmid = _send_one(call, peer, random_id, text, attachments, keyboard, None)
        except VkError as exc:
            error = {"code": exc.code, "description": exc.msg}
            items.append(
                {"peer_id": peer, "message_id": 0, "conversation_message_id": 0, "error": error}
            )
            continue
        items.append({"peer_id": peer, "message_id": msg_id, "conversation_message_id": cmid})
    return items


def _send_one(
    call: Call,
    peer_id: int,
    random_id: int,
    text: str,
    attachments: list[str],
    keyboard: dict[str, Any] | None,
    reply_to: int | None,
) -> tuple[int, int]:
    """Deliver one message to ``peer_id``: its id and conversation message id."""
    state = call.state
    with state.lock:
        moment = time.monotonic()
        previous = state.random_ids.get((peer_id, random_id))
        if random_id != 0 and previous and moment - previous[1] < RANDOM_ID_TTL:
            state.bump("deduplicated_messages")
            earlier = next((m for m in state.sent if m.id == previous[0]), None)
            return previous[0], earlier.conversation_message_id if earlier else 0
        if call.token_type == "group" and (code := can_write(state, peer_id)) is not None:
            raise VkError(code)
        if (
            reply_to is not None
            and not any(m["id"] == reply_to and m["peer_id"] == peer_id for m in state.inbound)
            and not any(m.id == reply_to and m.peer_id == peer_id for m in state.sent)
        ):
            raise invalid("reply_to")
        msg = SentMessage(
            id=state.new_message_id(),
            peer_id=peer_id,
            from_id=call.caller_id,
            random_id=random_id,
            message=text,
            attachments=attachments,
            keyboard=keyboard,
            reply_to=reply_to,
            conversation_message_id=state.next_cmid(peer_id),
            date=now(),
            token_type=call.token_type,
            payload=call.params.get("payload"),
        )
        state.sent.append(msg)
        if random_id != 0:
            state.random_ids[(peer_id, random_id)] = (msg.id, moment)
        if state.emit_message_reply:
            push_event(state, "message_reply", message_object(state, msg))
    if state.emit_message_reply:
        state.lp_notify()
    return msg.id, msg.conversation_message_id


@api_method(
    "messages.edit",
    tokens=("user", "group"),
    params=(
        "peer_id",
        "message_id",
        "cmid",
        "message",
        "attachment",
        "keyboard",
        "keep_forward_messages",
        "keep_snippets",
        "group_id",
        "dont_parse_links",
        "disable_mentions",
    ),
    required=("peer_id",),
)
def messages_edit(call: Call) -> int:
    """Replace text, attachments and keyboard of an own message (within 24 h)."""
    params, state = call.params, call.state
    peer_id = params.require_integer("peer_id")
    message_id, cmid = params.integer("message_id"), params.integer("cmid")
    if message_id is None and cmid is None:
        raise missing("message_id")
    _check_group_param(call)
    for flag in ("keep_forward_messages", "keep_snippets", "dont_parse_links", "disable_mentions"):
        params.flag(flag)
    text, attachments, keyboard = _content(call)
    if not text and not attachments:
        raise invalid("message", "is empty or invalid")
    with state.lock:
        target = next(
            (
                m
                for m in state.sent
                if m.peer_id == peer_id
                and (m.id == message_id if message_id is not None else True)
                and (m.conversation_message_id == cmid if cmid is not None else True)
            ),
            None,
        )
        if target is None:
            raise invalid("message_id")
        if target.from_id != call.caller_id:
            raise VkError(920)
        if now() - target.date > EDIT_WINDOW:
            raise VkError(909)
        target.history.append(
            {
                "message": target.message,
                "attachments": target.attachments,
                "keyboard": target.keyboard,
            }
        )
        target.message, target.attachments, target.keyboard = text, attachments, keyboard
        target.edits += 1
    return 1


@api_method(
    "messages.sendMessageEventAnswer",
    tokens=("group",),
    params=("event_id", "user_id", "peer_id", "event_data"),
    required=("event_id", "user_id", "peer_id"),
)
def messages_send_message_event_answer(call: Call) -> int:
    """Answer a callback-button press once, within a minute of it."""
    params, state = call.params, call.state
    event_id = params.require("event_id")
    user_id = params.require_integer("user_id")
    peer_id = params.require_integer("peer_id")
    raw = params.get("event_data")
    data = parse_event_data(raw) if raw else None
    with state.lock:
        pending = state.pending_events.get(event_id)
        if (
            pending is None
            or pending.user_id != user_id
            or pending.peer_id != peer_id
            or time.monotonic() - pending.time > EVENT_TTL
        ):
            raise invalid("event_id", "is invalid")
        del state.pending_events[event_id]
        state.event_answers.append(
            {"event_id": event_id, "user_id": user_id, "peer_id": peer_id, "event_data": data}
        )
    return 1


@api_method(
    "messages.getConversationsById",
    tokens=("user", "group"),
    params=("peer_ids", "extended", "fields", "group_id"),
    required=("peer_ids",),
)
def messages_get_conversations_by_id(call: Call) -> dict[str, Any]:
    """Conversations with known users, with ``can_write`` reflecting permissions."""
    peers = []
    for ref in call.params.items("peer_ids"):
        try:
            peers.append(int(ref))
        except ValueError:
            raise invalid("peer_ids", "is invalid") from None
    call.params.flag("extended")
    call.params.items("fields")
    _check_group_param(call)
    items = []
    with call.state.lock:
        for peer_id in peers:
            if peer_id not in call.state.users:
                continue
            code = can_write(call.state, peer_id)
            can = {"allowed": code is None} | ({"reason": code} if code else {})
            items.append(
                {
                    "peer": {"id": peer_id, "type": "user", "local_id": peer_id},
                    "in_read": 0,
                    "out_read": 0,
                    "last_message_id": 0,
                    "important": False,
                    "is_marked_unread": False,
                    "can_write": can,
                }
            )
    return {"count": len(items), "items": items}
