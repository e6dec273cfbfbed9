"""``FakeVK``: the public face of the fake VK API server."""

from __future__ import annotations

import copy
import dataclasses
import functools
from collections.abc import Sequence
from typing import Any, TypeVar

from simulators.faults import script
from simulators.serving import Served, ServerThread
from simulators.switches import Switch, put
from simulators.waiting import Waiting

from .errors import ERROR_MESSAGES
from .inject import inject_message_event, inject_user_message
from .longpoll import push_event
from .server import build_app
from .state import Fault, SentMessage, State, User

T = TypeVar("T")


def _dicts(items: Sequence[Any]) -> list[dict[str, Any]]:
    return [dataclasses.asdict(item) for item in items]


class FakeVK(Served, Waiting):
    """A strict in-process VK API (v5.199) with Bots Long Poll and uploads.

    Runs an aiohttp app in a background thread with its own event loop, so
    sync ``vk_api`` code, async tests and subprocesses can all talk to it.
    """

    def __init__(
        self,
        group_id: int = 229000001,
        group_token: str = "vk1.a.group-TEST",
        user_token: str = "vk1.a.user-TEST",
        limits: bool = True,
        *,
        user_id: int = 100001,
        group_name: str = "Пресс-служба (тест)",
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.group_id = group_id
        self.group_token = group_token
        self.user_token = user_token
        self.user_id = user_id
        self._state = State(
            group_id=group_id,
            group_token=group_token,
            user_token=user_token,
            user_id=user_id,
            group_name=group_name,
            screen_name=f"club{group_id}",
            limits=limits,
        )
        self._state.users[user_id] = User(user_id, "Админ", "Тестовый")
        self._serve_from(
            ServerThread("fake-vk", functools.partial(build_app, self._state)), host, port
        )

    @property
    def api_base(self) -> str:
        """What replaces ``https://api.vk.ru/``: ``http://127.0.0.1:PORT/``."""
        return f"{self.base_url}/"

    # -- switches --------------------------------------------------------------------

    limits = Switch[bool](
        "Rate limits on/off (``group_rps`` per group token, ``user_rps`` per user token)."
    )
    group_rps = Switch[int]("Requests per second allowed per group token (20 like VK).")
    user_rps = Switch[int]("Requests per second allowed per user token (3 like VK).")
    longpoll_enabled = Switch[bool]("When False, ``groups.getLongPollServer`` answers error 100.")
    emit_message_reply = Switch[bool](
        "When True, community messages also arrive as ``message_reply`` events."
    )

    # -- users and permissions -----------------------------------------------------

    def add_user(
        self,
        user_id: int,
        first_name: str,
        last_name: str,
        *,
        screen_name: str = "",
        sex: int = 0,
        allow_messages: bool = True,
    ) -> None:
        """Register a user for ``users.get``; by default the community may write to them."""
        with self._state.lock:
            self._state.users[user_id] = User(user_id, first_name, last_name, screen_name, sex)
            if allow_messages:
                self._state.allowed.add(user_id)

    def users(self) -> dict[int, dict[str, Any]]:
        """The user registry."""
        with self._state.lock:
            return {uid: dataclasses.asdict(user) for uid, user in self._state.users.items()}

    def set_user_admin(self, level: int) -> None:
        """Admin level of the user-token user: 0 none, 1 moderator, 2 editor, 3 admin."""
        if level not in (0, 1, 2, 3):
            raise ValueError("admin level must be 0..3")
        put(self._state, "admin_level", level)

    def allow_messages(self, user_id: int) -> None:
        """Let the community write to ``user_id`` (as after the user wrote first)."""
        with self._state.lock:
            self._state.allowed.add(user_id)
            self._state.blocked.discard(user_id)

    def block_messages(self, user_id: int) -> None:
        """``messages.send`` to ``user_id`` answers 901 until unblocked."""
        with self._state.lock:
            self._state.blocked.add(user_id)

    def unblock_messages(self, user_id: int) -> None:
        """Undo ``block_messages``."""
        with self._state.lock:
            self._state.blocked.discard(user_id)

    # -- injection -------------------------------------------------------------------

    def user_message(
        self,
        from_id: int,
        text: str = "",
        attachments: Sequence[Any] | None = None,
        payload: str | dict[str, Any] | None = None,
        reply_to: int | None = None,
        first_name: str = "Иван",
        last_name: str = "Петров",
        client_info: dict[str, Any] | None = None,
        ref: str | None = None,
    ) -> dict[str, Any]:
        """A citizen writes to the community: queues ``message_new``; returns the message.

        ``attachments`` items: ``("photo", bytes)``, ``("doc", bytes, "name.pdf")``,
        ``("audio_message",)`` / ``("audio_message", ogg_bytes)``, ``("sticker",)`` /
        ``("sticker", sticker_id)`` or a raw VK attachment dict.  ``payload`` is the
        keyboard text-button payload (a JSON string or a dict).  ``reply_to`` is the
        id of an earlier message in the conversation.  ``ref`` is what a
        ``https://vk.me/club<ID>?ref=<ref>`` link puts on the first message of the
        conversation it opens (the message object's ``ref``/``ref_source``).
        """
        message = inject_user_message(
            self._state,
            from_id,
            text,
            attachments,
            payload,
            reply_to,
            first_name,
            last_name,
            client_info,
            ref=ref,
        )
        self._state.lp_notify()
        return message

    def message_event(
        self,
        user_id: int,
        payload: str | dict[str, Any] | None = None,
        conversation_message_id: int | None = None,
    ) -> str:
        """A callback button press (``message_event``); returns its ``event_id``.

        ``conversation_message_id`` defaults to the last message the community sent
        to the user (the one with the keyboard).
        """
        event_id = inject_message_event(self._state, user_id, payload, conversation_message_id)
        self._state.lp_notify()
        return event_id

    def push_event(self, event_type: str, obj: dict[str, Any]) -> dict[str, Any]:
        """Queue an arbitrary Bots Long Poll event (e.g. ``message_allow``)."""
        with self._state.lock:
            event = copy.deepcopy(push_event(self._state, event_type, copy.deepcopy(obj)))
        self._state.lp_notify()
        return event

    def force_longpoll_failure(self, code: int) -> None:
        """The next ``a_check`` answers ``{"failed": code}`` (1 also carries ``ts``)."""
        if code not in (1, 2, 3):
            raise ValueError("failed code must be 1, 2 or 3")
        with self._state.lock:
            self._state.lp_forced.append(code)
        self._state.lp_notify()

    def expire_longpoll_keys(self) -> None:
        """Invalidate every issued key: checks answer ``failed: 2`` until a new key."""
        with self._state.lock:
            self._state.lp_keys.clear()
        self._state.lp_notify()

    # -- faults ----------------------------------------------------------------------

    def fail(self, method: str, code: int, times: int = 1, **extra: Any) -> None:
        """The next ``times`` calls of ``method`` (``"*"`` = any) answer error ``code``.

        ``extra`` goes into the error object; ``error_msg=`` replaces the message and
        ``detail=`` is appended to the standard one.  Code 14 issues a real captcha.
        """
        if code not in ERROR_MESSAGES:
            extra.setdefault("error_msg", f"Error {code}")
        script(self._state, Fault(method, "error", times, code=code, extra=extra))

    def fail_http(self, method: str, status: int = 500, times: int = 1, held: bool = False) -> None:
        """The next ``times`` calls of ``method`` answer a bare HTTP ``status`` (nothing
        done). ``held``: that answer waits for :meth:`release_answers`, so a test acts
        while the call is out, as with :meth:`hold_answers`."""
        if held:
            with self._state.lock:
                self._state.holding = True
        script(self._state, Fault(method, "http", times, status=status, held=held))

    def fail_timeout_after_accept(self, method: str, delay: float = 30, times: int = 1) -> None:
        """Perform and record the next ``times`` calls, then answer ``delay`` s late."""
        script(self._state, Fault(method, "timeout", times, delay=delay))

    def hold_answers(self, method: str, times: int = 1) -> None:
        """Perform and record the next ``times`` calls, and answer them only once
        :meth:`release_answers` is called: a test acts while the call is in flight."""
        with self._state.lock:
            self._state.holding = True
        script(self._state, Fault(method, "hold", times))

    def release_answers(self) -> None:
        """Let the held answers go."""
        with self._state.lock:
            self._state.holding = False
        self._state.lp_notify()

    def clear_faults(self) -> None:
        """Drop scripted faults and forced long-poll failures."""
        with self._state.lock:
            self._state.faults.clear()
            self._state.lp_forced.clear()

    def captcha_answer(self, sid: str) -> str:
        """The text of an issued captcha (``KeyError`` if unknown or used)."""
        with self._state.lock:
            return self._state.captchas[str(sid)].answer

    # -- accessors -------------------------------------------------------------------

    def messages(self, peer_id: int | None = None) -> list[dict[str, Any]]:
        """Messages sent via ``messages.send`` (with ``edits``/``history`` of edits)."""
        with self._state.lock:
            sent: list[SentMessage] = [
                m for m in self._state.sent if peer_id is None or m.peer_id == peer_id
            ]
            return _dicts(sent)

    def inbound_messages(self) -> list[dict[str, Any]]:
        """Messages injected with ``user_message`` (as delivered)."""
        with self._state.lock:
            return copy.deepcopy(self._state.inbound)

    def wall_posts(self) -> list[dict[str, Any]]:
        """Wall posts, including deleted ones (``deleted`` flag) and ``edits``."""
        with self._state.lock:
            return _dicts(list(self._state.posts.values()))

    def calls(self, method: str | None = None) -> list[dict[str, Any]]:
        """Raw request log (params without the token, ``token_type``, outcome)."""
        with self._state.lock:
            return _dicts([c for c in self._state.calls if method is None or c.method == method])

    def uploads(self) -> list[dict[str, Any]]:
        """HTTP uploads to upload URLs, with file names/sizes and the answer."""
        with self._state.lock:
            return _dicts(self._state.upload_log)

    def event_answers(self) -> list[dict[str, Any]]:
        """Answers given with ``messages.sendMessageEventAnswer``."""
        with self._state.lock:
            return copy.deepcopy(self._state.event_answers)

    def photos(self) -> list[dict[str, Any]]:
        """Stored photos (saved uploads and injected ones)."""
        with self._state.lock:
            return _dicts(list(self._state.photos.values()))

    def docs(self) -> list[dict[str, Any]]:
        """Stored documents and audio messages."""
        with self._state.lock:
            return _dicts(list(self._state.docs.values()))

    def media(self, url: str) -> bytes:
        """Bytes behind a ``/media/...`` URL the fake handed out."""
        name = url.rsplit("/media/", 1)[-1]
        with self._state.lock:
            return self._state.blobs[name][0]

    def stats(self) -> dict[str, Any]:
        """Counters: calls, rate_limited (error 6 from limits), errors by code, etc."""
        state = self._state
        with state.lock:
            return {
                "calls": len(state.calls),
                "rate_limited": state.counters.get("rate_limited", 0),
                "errors": dict(state.errors_by_code),
                "deduplicated_messages": state.counters.get("deduplicated_messages", 0),
                "deduplicated_posts": state.counters.get("deduplicated_posts", 0),
                "crashes": state.counters.get("crashes", 0),
            }
