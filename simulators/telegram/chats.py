"""Methods about the bot, chats, callback queries and files."""

from __future__ import annotations

import re
from typing import Any

from .content import thread_id
from .errors import bad_request
from .media import DOWNLOAD_MAX_BYTES
from .params import Params, type_field
from .registry import method
from .sending import reachable
from .state import Chat, State

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)


@method("getMe")
def get_me(st: State, p: Params) -> Any:
    return {
        **st.bot,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@method("deleteWebhook", "drop_pending_updates")
def delete_webhook(st: State, p: Params) -> Any:
    if p.boolean("drop_pending_updates"):
        st.updates.clear()
    return True


@method("setMyCommands", "commands", "scope", "language_code")
def set_my_commands(st: State, p: Params) -> Any:
    commands = p.parsed("commands", "can't parse commands JSON object")
    if not isinstance(commands, list):
        raise bad_request('parameter "commands" is required')
    if len(commands) > 100:
        raise bad_request("too many commands")
    result = []
    for item in commands:
        if not isinstance(item, dict):
            raise bad_request("can't parse BotCommand: object expected")
        command = str(type_field(item, "BotCommand", "command") or "").lstrip("/")
        description = str(type_field(item, "BotCommand", "description") or "")
        if not re.fullmatch(r"[a-z0-9_]{1,32}", command):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(description.strip()) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        result.append({"command": command, "description": description})
    scope = p.string("scope") or '{"type":"default"}'
    st.commands[(scope, p.string("language_code") or "")] = result
    return True


@method("getChat", "chat_id")
def get_chat(st: State, p: Params) -> Any:
    return st.chat(p.string("chat_id")).full()


def _member(st: State, chat: Chat, user_id: int) -> dict[str, Any]:
    user = dict(st.users[user_id])
    if user_id == chat.owner:
        return {"status": "creator", "user": user, "is_anonymous": False}
    if user_id in chat.admins or (user_id == st.bot_id and chat.type == "channel"):
        rights = dict.fromkeys(
            (
                "can_manage_chat",
                "can_delete_messages",
                "can_manage_video_chats",
                "can_restrict_members",
                "can_change_info",
                "can_invite_users",
                "can_post_stories",
                "can_edit_stories",
                "can_delete_stories",
                "can_pin_messages",
                "can_manage_topics",
                "can_send_welcome_messages",
            ),
            True,
        )
        if chat.type == "channel":
            rights.update(can_post_messages=True, can_edit_messages=True)
            rights.pop("can_pin_messages")
            rights.pop("can_manage_topics")
        return {
            "status": "administrator",
            "user": user,
            "can_be_edited": False,
            "is_anonymous": False,
            "can_promote_members": False,
            **rights,
        }
    if chat.type == "private" or user_id in chat.members or user_id == st.bot_id:
        return {"status": "member", "user": user}
    return {"status": "left", "user": user}


@method("getChatAdministrators", "chat_id")
def get_chat_administrators(st: State, p: Params) -> Any:
    chat = st.chat(p.string("chat_id"))
    if chat.type == "private":
        raise bad_request("there are no administrators in the private chat")
    ids = ([chat.owner] if chat.owner is not None else []) + [
        a for a in chat.admins if a != chat.owner
    ]
    if chat.type == "channel" and st.bot_id not in ids:
        ids.append(st.bot_id)  # a bot can only be in a channel as its administrator
    return [_member(st, chat, user_id) for user_id in ids if user_id in st.users]


@method("getChatMember", "chat_id", "user_id")
def get_chat_member(st: State, p: Params) -> Any:
    chat = st.chat(p.string("chat_id"))
    user_id = p.integer("user_id")
    if user_id is None or user_id not in st.users:
        raise bad_request("user not found" if user_id is not None else "user_id is empty")
    if chat.type == "private" and user_id not in (chat.id, st.bot_id):
        raise bad_request("user not found")
    return _member(st, chat, user_id)


@method("sendChatAction", "chat_id", "message_thread_id", "action")
def send_chat_action(st: State, p: Params) -> Any:
    chat = st.chat(p.string("chat_id"))
    action = p.string("action")
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    thread = thread_id(st, chat, p)
    reachable(st, chat)
    st.chat_actions.append({"chat_id": chat.id, "action": action, "message_thread_id": thread})
    return True


@method("answerCallbackQuery", "callback_query_id", "text", "show_alert", "url", "cache_time")
def answer_callback_query(st: State, p: Params) -> Any:
    query_id = p.string("callback_query_id")
    if not query_id:
        raise bad_request("callback_query_id is empty")
    query = st.callbacks.get(query_id)
    if query is None or query["answered"]:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    text = p.string("text") or ""
    if len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    url = p.string("url")
    bot_link = f"t.me/{st.bot['username']}".lower()
    if url and url.lower().removeprefix("https://").split("?")[0] != bot_link:
        raise bad_request("URL_INVALID")  # only game URLs and links to the bot itself
    query["answered"] = True
    st.answers.append(
        {
            "callback_query_id": query_id,
            "text": text or None,
            "show_alert": p.boolean("show_alert"),
            "cache_time": p.integer("cache_time"),
            "user_id": query["user_id"],
            "data": query["data"],
        }
    )
    return True


@method("getFile", "file_id")
def get_file(st: State, p: Params) -> Any:
    file_id = p.string("file_id")
    if not file_id:
        raise bad_request("file_id is empty")
    record = st.files.get(file_id)
    if record is None:
        raise bad_request("wrong file_id or the file is temporarily unavailable")
    if record.size is not None and record.size > DOWNLOAD_MAX_BYTES:
        raise bad_request("file is too big")
    obj = record.base()
    obj["file_path"] = record.file_path
    return obj
