"""``FakeMax``: the public face of the fake MAX Bot API server."""

from __future__ import annotations

import copy
import dataclasses
import functools
import time
from collections.abc import Sequence
from typing import Any

from simulators.faults import script
from simulators.serving import Served, ServerThread
from simulators.switches import Switch, put
from simulators.waiting import Waiting

from . import inject
from .messages import message_api
from .server import build_app
from .state import BOT_USER_ID, CHANNEL_ID, Chat, ChatType, Fault, FaultKind, State, User
from .updates import push

DEFAULT_TOKEN = "max-bot-token-TEST"
CHANNEL_RIGHTS = ("read_all_messages", "write", "edit", "delete")


class FakeMax(Served, Waiting):
    """A strict in-process MAX Bot API with uploads and long polling.

    Limits on by default: 4,000 visible characters per text, 30 requests/s per bot (429),
    every uploaded file ``attachment.not.ready`` for ``not_ready_attempts`` sends. Requests
    that break the schema are answered 400 and listed in ``violations``; bugs of the fake
    itself in ``internal_errors`` (both must stay empty in a test).
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        channel_id: int = CHANNEL_ID,
        channel_title: str = "Пресс-служба (тест)",
        limits: bool = True,
        not_ready_attempts: int = 1,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.token = token
        self.channel_id = channel_id
        bot = User(BOT_USER_ID, "Глашатай", None, "glashatai_test_bot", is_bot=True)
        self._state = State(
            token=token, bot=bot, limits=limits, not_ready_attempts=not_ready_attempts
        )
        self._state.chats[channel_id] = Chat(
            channel_id, ChatType.CHANNEL, channel_title, bot_permissions=list(CHANNEL_RIGHTS)
        )
        self._serve_from(
            ServerThread("fake-max", functools.partial(build_app, self._state)), host, port
        )

    # -- switches ------------------------------------------------------------------

    limits = Switch[bool]("The requests-per-second limit on/off.")
    rps = Switch[int]("Requests per second allowed per bot (30, as MAX documents).")
    not_ready_attempts = Switch[int]("Sends that see ``attachment.not.ready`` for each new upload.")

    def pin_clock(self, moment: float | None) -> None:
        """Freeze the rate window's clock at ``moment`` (None: the real monotonic clock).

        With the clock pinned, every request falls in the same second, so "30 pass, the
        rest get 429" holds however slow the machine is.
        """
        put(self._state, "clock", time.monotonic if moment is None else (lambda: moment))

    def set_channel_rights(
        self, is_admin: bool, permissions: Sequence[str] = CHANNEL_RIGHTS
    ) -> None:
        """The bot's standing in the channel (``glashatai check`` reads it)."""
        with self._state.lock:
            chat = self._state.chats[self.channel_id]
            chat.bot_is_admin = is_admin
            chat.bot_permissions = list(permissions) if is_admin else []

    # -- citizens ------------------------------------------------------------------

    def add_user(self, user_id: int, first_name: str, last_name: str | None = None) -> None:
        """Register a person, so their updates carry this name however they are injected."""
        with self._state.lock:
            inject.ensure_user(self._state, user_id, first_name, last_name)

    def _notify_after(self, update: dict[str, Any]) -> dict[str, Any]:
        self._state.notify()
        return copy.deepcopy(update)

    def bot_started(
        self,
        user_id: int,
        payload: str | None = None,
        first_name: str = "Иван",
        last_name: str | None = "Петров",
    ) -> dict[str, Any]:
        """A citizen presses Start (a deep link's ``payload`` included); returns the update."""
        with self._state.lock:
            user = inject.ensure_user(self._state, user_id, first_name, last_name)
            update = inject.bot_started(self._state, user, payload)
        return self._notify_after(update)

    def user_message(
        self,
        user_id: int,
        text: str = "",
        attachments: Sequence[Any] | None = None,
        first_name: str = "Иван",
        last_name: str | None = "Петров",
    ) -> dict[str, Any]:
        """A citizen writes; ``attachments``: ``("image", bytes)``, ``("file", bytes, name)``,
        ``("video", bytes)``, ``("audio", bytes)``, or an attachment as the API shows it."""
        with self._state.lock:
            user = inject.ensure_user(self._state, user_id, first_name, last_name)
            update = inject.user_message(self._state, user, text, attachments)
        return self._notify_after(update)

    def callback(self, user_id: int, payload: str | None, mid: str | None = None) -> dict[str, Any]:
        """A citizen taps a callback button (``mid``: the message that carried it)."""
        with self._state.lock:
            user = inject.ensure_user(self._state, user_id, "Иван", "Петров")
            update = inject.callback(self._state, user, payload, mid)
        return self._notify_after(update)

    def press(self, user_id: int, button_text: str) -> dict[str, Any]:
        """Tap the inline callback button labelled ``button_text`` on the newest bot message."""
        with self._state.lock:
            mid, button = inject.find_button(self._state, user_id, button_text)
            if button.get("type") != "callback":
                raise ValueError(f"{button_text!r} is a {button.get('type')} button")
            user = inject.ensure_user(self._state, user_id, "Иван", "Петров")
            update = inject.callback(self._state, user, button.get("payload"), mid)
        return self._notify_after(update)

    def block_bot(self, user_id: int) -> dict[str, Any]:
        """The citizen blocks the bot: ``bot_stopped``, then sends answer 403 ``chat.denied``."""
        with self._state.lock:
            user = inject.ensure_user(self._state, user_id, "Иван", "Петров")
            self._state.blocked.add(user_id)
            chat = self._state.dialog_of(user_id)
            update = push(
                self._state, "bot_stopped", {"chat_id": chat.chat_id, "user": user.as_api()}
            )
        return self._notify_after(update)

    def push_update(self, update_type: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Queue any update (e.g. ``message_removed``)."""
        with self._state.lock:
            update = push(self._state, update_type, copy.deepcopy(fields))
        return self._notify_after(update)

    # -- faults --------------------------------------------------------------------

    def fail(
        self,
        operation: str,
        status: int = 500,
        code: str = "internal.error",
        message: str = "Internal server error",
        times: int = 1,
    ) -> None:
        """The next ``times`` calls of ``operation`` (schema operationId, ``*`` any) fail.

        ``fail("sendMessage", 429, "too.many.requests")`` is a 429, ``fail(..., 503)`` a 5xx.
        """
        script(self._state, Fault(operation, FaultKind.ERROR, times, status, code, message))

    def fail_timeout_after_accept(
        self, operation: str, delay: float = 30.0, times: int = 1
    ) -> None:
        """Perform the next ``times`` calls, then answer ``delay`` seconds late."""
        script(self._state, Fault(operation, FaultKind.TIMEOUT_AFTER_ACCEPT, times, delay=delay))

    def clear_faults(self) -> None:
        """Drop scripted faults."""
        with self._state.lock:
            self._state.faults.clear()

    # -- accessors -------------------------------------------------------------------

    def messages(
        self, chat_id: int | None = None, *, deleted: bool = False
    ) -> list[dict[str, Any]]:
        """Messages (bot's and users'), oldest first, as records with ``edits``/``history``."""
        with self._state.lock:
            found = [
                dataclasses.asdict(m)
                for m in sorted(self._state.messages.values(), key=lambda m: m.seq)
                if (chat_id is None or m.chat_id == chat_id) and (deleted or not m.deleted)
            ]
        return found

    def channel_messages(self) -> list[dict[str, Any]]:
        """Live messages in the office channel."""
        return self.messages(self.channel_id)

    def dialog_messages(self, user_id: int) -> list[dict[str, Any]]:
        """Live messages in the dialog with ``user_id``."""
        with self._state.lock:
            chat_id = self._state.dialog_of(user_id).chat_id
        return self.messages(chat_id)

    def message_api(self, mid: str) -> dict[str, Any]:
        """A message as the API shows it."""
        with self._state.lock:
            return message_api(self._state, self._state.messages[mid])

    def calls(self, operation: str | None = None) -> list[dict[str, Any]]:
        """The request log (operation, query, body, status, error code; no token)."""
        with self._state.lock:
            return [
                dataclasses.asdict(c) for c in self._state.calls if operation in (None, c.operation)
            ]

    def answers(self) -> list[dict[str, Any]]:
        """Callback answers given through ``POST /answers``."""
        with self._state.lock:
            return copy.deepcopy(self._state.answers)

    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates from the highest acknowledged marker on."""
        with self._state.lock:
            start = self._state.committed_marker
            return [copy.deepcopy(u) for n, u in self._state.updates if n >= start]

    def uploaded(self, token: str) -> bytes | None:
        """The bytes uploaded for an attachment token."""
        with self._state.lock:
            found = next((u for u in self._state.uploads.values() if u.token == token), None)
            return found.data if found else None

    @property
    def violations(self) -> list[str]:
        """Requests that broke the schema (each answered 400/404/405/401)."""
        with self._state.lock:
            return list(self._state.violations)

    @property
    def internal_errors(self) -> list[str]:
        """Bugs of the fake itself (answered 500)."""
        with self._state.lock:
            return list(self._state.internal_errors)

    def stats(self) -> dict[str, int]:
        """Counters: calls, rate_limited, too_long, not_ready, faults."""
        with self._state.lock:
            return {"calls": len(self._state.calls), **self._state.counters}
