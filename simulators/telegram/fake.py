"""``FakeTelegram``: the test-facing API of the fake Bot API server."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any, TypeVar

from simulators.faults import script
from simulators.switches import Switch
from simulators.waiting import Waiting

from . import inject
from .limits import LimitConfig
from .server import BotApiServer
from .state import Fault, State

DEFAULT_TOKEN = "123456:TEST-token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
FAULT_KINDS = frozenset({"400", "403", "429", "500", "502", "timeout_after_accept"})
T = TypeVar("T")


class FakeTelegram(BotApiServer, Waiting):
    """A strict fake of the Telegram Bot API (see the package docstring)."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        limits: bool = True,
        bot_username: str = "glashatai_test_bot",
        *,
        clock: Callable[[], float] = time.monotonic,
        limit_config: LimitConfig | None = None,
        strict_amp: bool = True,
        auto_create_chats: bool = False,
    ) -> None:
        super().__init__(
            State(
                token,
                bot_username,
                limits,
                clock,
                limit_config or LimitConfig(),
                strict_amp,
                auto_create_chats,
            )
        )

    # --- set-up ------------------------------------------------------------

    @property
    def token(self) -> str:
        return self._state.token

    def revoke_token(self) -> None:
        """As after /revoke in @BotFather: the old token gets 401 Unauthorized from now on."""
        with self._lock:
            self._state.token = f"{self._state.bot_id}:revoked-{time.monotonic_ns()}"

    @property
    def bot_id(self) -> int:
        return self._state.bot_id

    @property
    def bot_user(self) -> dict[str, Any]:
        return dict(self._state.bot)

    limits = Switch[bool]("Flood limits on/off (see ``limits.py``).")
    strict_amp = Switch[bool](
        "A ``&`` that starts no entity is an HTML error, as the Bot API docs say (see ``html.py``)."
    )

    def add_user(
        self,
        user_id: int,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
    ) -> dict[str, Any]:
        """Register a person (and their private chat with the bot); returns the User."""
        with self._lock:
            return dict(self._state.add_user(user_id, first_name, last_name, username))

    def add_chat(
        self,
        chat_id: int,
        type: str,
        title: str | None = None,
        username: str | None = None,
        is_forum: bool = False,
    ) -> dict[str, Any]:
        """Register a chat; returns its Chat object."""
        with self._lock:
            return self._state.add_chat(chat_id, type, title, username, is_forum).obj()

    def add_topic(self, chat_id: int, name: str, creator_id: int | None = None) -> int:
        """Create a topic in a forum supergroup; returns its ``message_thread_id``."""
        with self._lock:
            return inject.add_topic(self._state, chat_id, name, creator_id)

    def upgrade_group(
        self, old_id: int, new_id: int, actor_id: int
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The basic group ``old_id`` becomes the supergroup ``new_id``; returns the two
        service-message Updates (see ``inject.upgrade_group``)."""
        with self._lock:
            updates = inject.upgrade_group(self._state, old_id, new_id, actor_id)
        self._wake()
        return updates

    def set_admins(self, chat_id: int, user_ids: list[int], owner_id: int | None = None) -> None:
        """Set a chat's administrators (users are registered if unknown)."""
        with self._lock:
            chat = self._state.chats.get(chat_id)
            if chat is None or chat.type == "private":
                raise ValueError(f"{chat_id} is not a registered group or channel")
            for user_id in [*user_ids, *([owner_id] if owner_id is not None else [])]:
                self._state.ensure_user(user_id)
            chat.admins = list(user_ids)
            chat.owner = owner_id

    def block(self, user_id: int) -> dict[str, Any]:
        """The user blocks the bot: sends to them answer 403; returns the my_chat_member Update."""
        return self._set_blocked(user_id, True)

    def unblock(self, user_id: int) -> dict[str, Any]:
        """The user restarts the bot; returns the my_chat_member Update."""
        return self._set_blocked(user_id, False)

    def _set_blocked(self, user_id: int, blocked: bool) -> dict[str, Any]:
        old, new = ("member", "kicked") if blocked else ("kicked", "member")
        with self._lock:
            user = self._state.ensure_user(user_id)
            if blocked:
                self._state.blocked.add(user_id)
            else:
                self._state.blocked.discard(user_id)
            chat = self._state.chats[user_id]
            update = inject.bot_status_changed(self._state, chat, user, old, new)
        self._wake()
        return update

    def kick_bot(self, chat_id: int, by_user_id: int | None = None) -> dict[str, Any]:
        """The bot is removed from a group/channel (sends there answer 403); returns the
        my_chat_member Update."""
        with self._lock:
            chat = self._state.chats.get(chat_id)
            if chat is None or chat.type == "private":
                raise ValueError(f"{chat_id} is not a registered group or channel")
            actor = (
                self._state.ensure_user(by_user_id)
                if by_user_id is not None
                else inject.TELEGRAM_SERVICE_USER
            )
            old = "administrator" if self._state.bot_id in chat.admins else "member"
            if chat.type == "channel":
                old = "administrator"
            self._state.kicked.add(chat_id)
            update = inject.bot_status_changed(self._state, chat, actor, old, "left")
        self._wake()
        return update

    # --- injection ---------------------------------------------------------

    def user_message(
        self,
        user_id: int,
        chat_id: int | None = None,
        text: str | None = None,
        entities: list[dict[str, Any]] | None = None,
        photo: bytes | None = None,
        document: tuple[str, bytes] | None = None,
        caption: str | None = None,
        reply_to_message_id: int | None = None,
        media_group_id: str | None = None,
        message_thread_id: int | None = None,
        voice: bool = False,
        sticker: bool = False,
        video_note: bool = False,
        forward_from_chat: int | None = None,
        location: tuple[float, float] | None = None,
        contact: tuple[str, str] | None = None,
        dice: str | None = None,
    ) -> dict[str, Any]:
        """A person writes to the bot (or in a group); returns the queued Update.

        ``location`` is (latitude, longitude), ``contact`` (phone number, first name),
        ``dice`` the emoji of a die thrown."""
        with self._lock:
            update = inject.user_message(
                self._state,
                user_id,
                chat_id,
                text=text,
                entities=entities,
                photo=photo,
                document=document,
                caption=caption,
                reply_to_message_id=reply_to_message_id,
                media_group_id=media_group_id,
                message_thread_id=message_thread_id,
                voice=voice,
                sticker=sticker,
                video_note=video_note,
                forward_from_chat=forward_from_chat,
                location=location,
                contact=contact,
                dice=dice,
            )
        self._wake()
        return update

    def edit_user_message(
        self,
        user_id: int,
        message_id: int,
        chat_id: int | None = None,
        *,
        text: str | None = None,
        caption: str | None = None,
        entities: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """A person edits their message (its text, or its caption); returns the queued
        ``edited_message`` Update."""
        with self._lock:
            update = inject.edit_user_message(
                self._state,
                user_id,
                chat_id,
                message_id,
                text=text,
                caption=caption,
                entities=entities,
            )
        self._wake()
        return update

    def redeliver(self, update: dict[str, Any]) -> dict[str, Any]:
        """Deliver an update again, as Telegram does one whose offset the bot never
        confirmed (it crashed after handling it): the same content, under a new
        ``update_id`` since this bot's offset has moved past the old one. Returns it."""
        kinds = [k for k in update if k != "update_id"]
        if len(kinds) != 1:
            raise ValueError(f"not an Update: {sorted(update)}")
        with self._lock:
            again = self._state.push_update(kinds[0], copy.deepcopy(update[kinds[0]]))
        self._wake()
        return again

    def callback(
        self,
        user_id: int,
        message_id: int,
        chat_id: int,
        data: str,
        *,
        check_button: bool = True,
    ) -> dict[str, Any]:
        """A person presses an inline button; returns the queued CallbackQuery Update."""
        with self._lock:
            update = inject.callback(self._state, user_id, message_id, chat_id, data, check_button)
        self._wake()
        return update

    def channel_post(
        self, chat_id: int, text: str | None = None, photo: bytes | None = None
    ) -> dict[str, Any]:
        """A post appears in a channel the bot is in; returns the queued Update."""
        with self._lock:
            update = inject.channel_post(self._state, chat_id, text, photo)
        self._wake()
        return update

    # --- faults ------------------------------------------------------------

    def fail(
        self,
        method: str,
        kind: str,
        times: int = 1,
        chat_id: int | str | None = None,
        retry_after: int = 5,
        delay: float = 30.0,
        description: str | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (``"*"`` = any) fail with ``kind``."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; one of {sorted(FAULT_KINDS)}")
        fault = Fault(method.lower(), kind, times, chat_id, retry_after, delay, description)
        script(self._state, fault)

    def clear_faults(self) -> None:
        with self._lock:
            self._state.faults.clear()

    # --- accessors ---------------------------------------------------------

    def messages(
        self, chat_id: int | None = None, *, include_incoming: bool = False
    ) -> list[dict[str, Any]]:
        """Messages the bot sent (and edited/deleted), oldest first, as copies."""
        with self._lock:
            stored = sorted(self._state.messages.values(), key=lambda m: m.seq)
            return [
                m.record()
                for m in stored
                if (chat_id is None or m.chat_id == chat_id) and (m.outgoing or include_incoming)
            ]

    def message(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        """One message (bot's or person's) by id, or None."""
        with self._lock:
            stored = self._state.messages.get((chat_id, message_id))
            return stored.record() if stored is not None else None

    def requests(self, method: str | None = None) -> list[dict[str, Any]]:
        """All API calls: method, params, time, status, ok, description, fault."""
        with self._lock:
            return [
                copy.deepcopy(entry)
                for entry in self._state.request_log
                if method is None or entry["method"].lower() == method.lower()
            ]

    def answered_callbacks(self) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._state.answers)

    def chat_actions(self) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._state.chat_actions)

    def commands(self, language_code: str = "") -> dict[str, list[dict[str, str]]]:
        """Commands set by setMyCommands, by scope JSON, for a language."""
        with self._lock:
            return {
                scope: copy.deepcopy(cmds)
                for (scope, lang), cmds in self._state.commands.items()
                if lang == language_code
            }

    def file_bytes(self, file_id: str) -> bytes | None:
        """Content of a file the bot uploaded or a person sent."""
        with self._lock:
            record = self._state.files.get(file_id)
            return record.data if record is not None else None

    def expire_updates(self) -> None:
        """Drop the updates not yet fetched, as Telegram does after 24 hours."""
        with self._lock:
            self._state.updates.clear()

    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by getUpdates."""
        with self._lock:
            return copy.deepcopy(self._state.updates)

    def stats(self) -> dict[str, int]:
        """Counters: requests, errors, too_many_requests (all 429s), rate_limited, faults."""
        with self._lock:
            counters = self._state.counters
            keys = ("requests", "errors", "too_many_requests", "rate_limited", "faults_injected")
            return {key: counters[key] for key in keys}
