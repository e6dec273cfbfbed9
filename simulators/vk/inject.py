"""Events from citizens: incoming messages and callback-button presses.

The functions take the lock themselves; callers wake long polls afterwards
with ``state.lp_notify()``.
"""

from __future__ import annotations

import copy
import json
import secrets
import time
from collections.abc import Sequence
from typing import Any

from .attachments import add_doc, add_photo, audio_message_object, doc_object, photo_object
from .longpoll import push_event
from .methods.community import ensure_user
from .methods.messages import message_object
from .state import PendingEvent, State, now

USER_MESSAGES_ALBUM = -3
OGG_STUB = b"OggS\x00\x02" + bytes(22) + b"\x01\x13OpusHead\x01\x01"
DEFAULT_CLIENT_INFO: dict[str, Any] = {
    "button_actions": ["text", "vkpay", "open_app", "location", "open_link", "callback"],
    "keyboard": True,
    "inline_keyboard": True,
    "carousel": True,
    "lang_id": 0,
}


def build_attachment(state: State, from_id: int, spec: Any) -> dict[str, Any]:
    """A VK attachment object from a spec like ``("photo", bytes)`` (lock held)."""
    if isinstance(spec, dict):
        return copy.deepcopy(spec)
    kind, *rest = spec
    if kind == "photo":
        photo = add_photo(state, rest[0], from_id, from_id, USER_MESSAGES_ALBUM)
        return {"type": "photo", "photo": photo_object(state, photo)}
    if kind == "doc":
        data, name = rest[0], (rest[1] if len(rest) > 1 else "file.bin")
        ext = name.rsplit(".", 1)[-1] if "." in name else ""
        doc = add_doc(state, data, from_id, name, ext)
        return {"type": "doc", "doc": doc_object(state, doc)}
    if kind == "audio_message":
        data = rest[0] if rest else OGG_STUB
        doc = add_doc(state, data, from_id, "voice.ogg", "ogg", "audio_message")
        return {"type": "audio_message", "audio_message": audio_message_object(state, doc)}
    if kind == "sticker":
        sticker_id = rest[0] if rest else 9
        url = state.url(f"/media/user{from_id}.png")
        images = [{"url": url, "width": size, "height": size} for size in (64, 128, 256)]
        return {
            "type": "sticker",
            "sticker": {"product_id": 1, "sticker_id": sticker_id, "images": images},
        }
    raise ValueError(f"unsupported attachment spec {spec!r}")


def reply_object(state: State, peer_id: int, message_id: int) -> dict[str, Any]:
    """The ``reply_message`` object for an earlier message (lock held)."""
    for sent in state.sent:
        if sent.id == message_id and sent.peer_id == peer_id:
            return message_object(state, sent)
    for inbound in state.inbound:
        if inbound["id"] == message_id and inbound["peer_id"] == peer_id:
            return {k: v for k, v in inbound.items() if k != "reply_message"}
    raise ValueError(f"no message {message_id} in the conversation with {peer_id}")


def inject_user_message(
    state: State,
    from_id: int,
    text: str,
    attachments: Sequence[Any] | None,
    payload: str | dict[str, Any] | None,
    reply_to: int | None,
    first_name: str,
    last_name: str,
    client_info: dict[str, Any] | None,
    *,
    ref: str | None = None,
) -> dict[str, Any]:
    """Queue ``message_new`` from ``from_id``; returns a copy of the message.

    ``ref``: the message opens a conversation from a ``vk.me`` link carrying it (the
    message object's ``ref``, with ``ref_source`` unset as for a plain link).
    """
    if isinstance(payload, dict):
        payload = json.dumps(payload)
    with state.lock:
        reply = reply_object(state, from_id, reply_to) if reply_to is not None else None
        ensure_user(state, from_id, first_name, last_name)
        state.allowed.add(from_id)
        message: dict[str, Any] = {
            "date": now(),
            "from_id": from_id,
            "id": state.new_message_id(),
            "out": 0,
            "attachments": [build_attachment(state, from_id, a) for a in attachments or ()],
            "conversation_message_id": state.next_cmid(from_id),
            "fwd_messages": [],
            "important": False,
            "is_hidden": False,
            "peer_id": from_id,
            "random_id": 0,
            "text": text,
        }
        if payload is not None:
            message["payload"] = payload
        if ref is not None:
            message["ref"] = ref
        if reply is not None:
            message["reply_message"] = reply
        state.inbound.append(message)
        info = copy.deepcopy(client_info or DEFAULT_CLIENT_INFO)
        push_event(state, "message_new", {"message": message, "client_info": info})
        return copy.deepcopy(message)


def inject_message_event(
    state: State,
    user_id: int,
    payload: str | dict[str, Any] | None,
    conversation_message_id: int | None,
) -> str:
    """Queue ``message_event`` (a callback button press); returns its ``event_id``."""
    if isinstance(payload, str):
        payload = json.loads(payload)
    with state.lock:
        cmids = [m.conversation_message_id for m in state.sent if m.peer_id == user_id]
        if conversation_message_id is None:
            if not cmids:
                raise ValueError(f"the community has sent nothing to {user_id}")
            conversation_message_id = cmids[-1]
        elif conversation_message_id not in cmids:
            raise ValueError(f"no community message {conversation_message_id} to {user_id}")
        event_id = secrets.token_hex(7)
        state.pending_events[event_id] = PendingEvent(
            event_id, user_id, user_id, conversation_message_id, payload, time.monotonic()
        )
        obj = {
            "user_id": user_id,
            "peer_id": user_id,
            "event_id": event_id,
            "payload": payload,
            "conversation_message_id": conversation_message_id,
        }
        push_event(state, "message_event", obj)
        return event_id
