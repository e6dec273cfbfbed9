"""The operations the fake implements, by the schema's ``operationId`` (lock held).

Each handler gets the state, the query, the path values and the JSON body, all already
checked against the schema, and returns the JSON answer (HTTP 200) or raises ``MaxError``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from . import messages
from .errors import bad_request, not_found
from .state import Chat, ChatType, State, Upload, now_ms

Handler = Callable[[State, dict[str, str], dict[str, str], Any], dict[str, Any]]
HANDLERS: dict[str, Handler] = {}
SUCCESS = {"success": True}


def operation(operation_id: str) -> Callable[[Handler], Handler]:
    """Register a handler for a schema operation."""

    def register(handler: Handler) -> Handler:
        HANDLERS[operation_id] = handler
        return handler

    return register


def _int(query: dict[str, str], name: str) -> int | None:
    return int(query[name]) if name in query else None


def _chat(state: State, raw: str) -> Chat:
    chat = state.chats.get(int(raw))
    if chat is None or chat.removed:
        raise not_found(f"Chat {raw} not found")
    return chat


@operation("getMyInfo")
def get_me(state: State, query: dict[str, str], path: dict[str, str], body: Any) -> dict[str, Any]:
    info = state.bot.as_api()
    info.update({"avatar_url": state.url("/media/bot.png"), "commands": []})
    return info


def chat_api(state: State, chat: Chat) -> dict[str, Any]:
    """The schema's ``Chat``."""
    dialog_user = state.users.get(chat.user_id) if chat.user_id is not None else None
    return {
        "chat_id": chat.chat_id,
        "type": str(chat.type),
        "status": "active",
        "title": chat.title,
        "icon": None,
        "last_event_time": now_ms(),
        "participants_count": 2 if chat.type == ChatType.DIALOG else 1,
        "is_public": chat.type == ChatType.CHANNEL,
        "link": None,
        "description": None,
        "dialog_with_user": dialog_user.as_api() if dialog_user else None,
    }


@operation("getChat")
def get_chat(
    state: State, query: dict[str, str], path: dict[str, str], body: Any
) -> dict[str, Any]:
    return chat_api(state, _chat(state, path["chatId"]))


@operation("getChats")
def get_chats(
    state: State, query: dict[str, str], path: dict[str, str], body: Any
) -> dict[str, Any]:
    chats = [chat_api(state, c) for c in state.chats.values() if not c.removed]
    return {"chats": chats[: _int(query, "count") or 50], "marker": None}


@operation("getMembership")
def get_membership(
    state: State, query: dict[str, str], path: dict[str, str], body: Any
) -> dict[str, Any]:
    chat = _chat(state, path["chatId"])
    member = state.bot.as_api()
    member.update(
        {
            "last_access_time": now_ms(),
            "is_owner": False,
            "is_admin": chat.bot_is_admin,
            "join_time": now_ms(),
            "permissions": list(chat.bot_permissions) if chat.bot_is_admin else None,
            "alias": None,
        }
    )
    return member


@operation("getUploadUrl")
def get_upload_url(
    state: State, query: dict[str, str], path: dict[str, str], body: Any
) -> dict[str, Any]:
    kind = query["type"]
    upload = Upload(
        slot=secrets.token_hex(8),
        type=kind,
        token=secrets.token_urlsafe(24),
        not_ready_left=state.not_ready_attempts,
    )
    state.uploads[upload.slot] = upload
    answer: dict[str, Any] = {"url": state.url(f"/upload/{upload.slot}")}
    if kind in ("video", "audio"):
        answer["token"] = upload.token
    return answer


@operation("sendMessage")
def send_message(
    state: State, query: dict[str, str], path: dict[str, str], body: Any
) -> dict[str, Any]:
    chat = messages.target_chat(state, _int(query, "chat_id"), _int(query, "user_id"))
    message = messages.create(state, chat, body)
    return {"message": messages.message_api(state, message)}


@operation("editMessage")
def edit_message(
    state: State, query: dict[str, str], path: dict[str, str], body: Any
) -> dict[str, Any]:
    message = messages.own_message(state, query["message_id"])
    messages.edit(state, message, body)
    return dict(SUCCESS)


@operation("deleteMessage")
def delete_message(
    state: State, query: dict[str, str], path: dict[str, str], body: Any
) -> dict[str, Any]:
    message = messages.own_message(state, query["message_id"])
    message.deleted = True
    return dict(SUCCESS)


@operation("getMessageById")
def get_message(
    state: State, query: dict[str, str], path: dict[str, str], body: Any
) -> dict[str, Any]:
    message = state.messages.get(path["messageId"])
    if message is None or message.deleted:
        raise not_found(f"Message {path['messageId']} not found")
    return messages.message_api(state, message)


@operation("getMessages")
def get_messages(
    state: State, query: dict[str, str], path: dict[str, str], body: Any
) -> dict[str, Any]:
    wanted = set(query["message_ids"].split(",")) if "message_ids" in query else None
    chat_id = _int(query, "chat_id")
    if wanted is None and chat_id is None:
        raise bad_request("chat_id or message_ids is required")
    found = [
        m
        for m in state.messages.values()
        if not m.deleted
        and (wanted is None or m.mid in wanted)
        and (chat_id is None or m.chat_id == chat_id)
    ]
    found = sorted(found, key=lambda m: m.seq, reverse=True)[: _int(query, "count") or 50]
    return {"messages": [messages.message_api(state, m) for m in found]}


@operation("answerOnCallback")
def answer_callback(
    state: State, query: dict[str, str], path: dict[str, str], body: Any
) -> dict[str, Any]:
    pending = state.callbacks.get(query["callback_id"])
    if pending is None:
        raise not_found(f"Callback {query['callback_id']} not found")
    if body.get("message") is None and not body.get("notification"):
        raise bad_request("message or notification is required")
    if body.get("message") is not None:
        if pending.mid is None:
            raise bad_request("the callback has no message to change")
        messages.edit(state, messages.own_message(state, pending.mid), body["message"])
    del state.callbacks[pending.callback_id]
    state.answers.append(
        {
            "callback_id": pending.callback_id,
            "user_id": pending.user_id,
            "mid": pending.mid,
            "notification": body.get("notification"),
            "message": body.get("message"),
        }
    )
    return dict(SUCCESS)


@operation("getSubscriptions")
def get_subscriptions(
    state: State, query: dict[str, str], path: dict[str, str], body: Any
) -> dict[str, Any]:
    # The fake serves long polling only: no webhook is ever set.
    return {"subscriptions": []}
