"""A strict fake Telegram Bot API server for tests.

Use::

    with FakeTelegram() as tg:                        # or tg.start() ... tg.stop()
        tg.add_user(111, "Ivan")
        tg.add_chat(-1001234567890, "supergroup", title="Admins", is_forum=True)
        session = AiohttpSession(api=TelegramAPIServer.from_base(tg.base_url))
        bot = Bot(tg.token, session=session)
        ...
        tg.user_message(111, text="Hello")          # an Update for getUpdates
        await tg.wait_for(lambda: tg.messages(111))  # what the bot sent
        await session.close()

* Set-up: ``add_user``, ``add_chat``, ``add_topic``, ``set_admins``, ``block``/``unblock``,
  ``kick_bot``; attributes ``limits`` and ``strict_amp`` can be switched at run time.
* People: ``user_message``, ``callback``, ``channel_post`` (each returns the Update).
* Faults: ``fail(method, kind, times, chat_id, retry_after, delay, description)`` with
  kinds ``429 500 502 403 400 timeout_after_accept``; ``clear_faults``.
* Accessors (copies): ``messages``, ``message``, ``requests``, ``answered_callbacks``,
  ``chat_actions``, ``commands``, ``file_bytes``, ``pending_updates``, ``stats``;
  ``internal_errors`` lists bugs of the fake itself (answered as HTTP 500).
* Waiting: ``await wait_for(predicate)`` and ``wait_for_sync(predicate)``.
* ``make_png(w, h)`` gives a real image: sendPhoto refuses bytes that are not an image.

Modules: ``fake`` (this API), ``server`` (HTTP thread, faults, getUpdates), ``methods``
(``registry`` of methods and fields; ``sending``, ``editing``, ``chats``), ``content``
(text/keyboard/file validation), ``html`` (HTML parse mode), ``limits`` (flood limits
and their values), ``state``, ``inject``, ``params``, ``media``, ``links``.
Run by hand: ``python -m simulators.telegram --port 8081``.
"""

from .fake import DEFAULT_TOKEN, FakeTelegram
from .limits import LimitConfig
from .media import make_png

__all__ = ["DEFAULT_TOKEN", "FakeTelegram", "LimitConfig", "make_png"]
