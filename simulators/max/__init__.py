"""A strict fake MAX Bot API server for tests.

Use::

    with FakeMax() as fake:
        bot = maxapi.Bot(fake.token)
        bot.set_api_url(fake.base_url)
        fake.bot_started(5001, payload="hotline-7")   # a citizen starts the bot
        ...
        await fake.wait_for(lambda: fake.dialog_messages(5001))
        assert fake.violations == [] and fake.internal_errors == []

* Checked against MAX's OpenAPI schema (``spec``): paths, verbs, query parameters, JSON
  bodies; the token only in ``Authorization``; errors as ``{"code", "message"}``.
* Limits: 4,000 visible characters after ``format`` is parsed (``text``), 30 requests/s
  per bot (429 ``too.many.requests``), uploads ``attachment.not.ready`` for a few sends.
* Citizens: ``bot_started``, ``user_message``, ``callback``/``press``, ``block_bot``.
* Faults: ``fail(operation, status, code)``, ``fail_timeout_after_accept``, ``clear_faults``.
* Accessors: ``messages``, ``channel_messages``, ``dialog_messages``, ``calls``,
  ``answers``, ``pending_updates``, ``uploaded``, ``stats``, ``violations``,
  ``internal_errors``.

Modules: ``fake`` (this API), ``server`` (HTTP, checks, limits, faults), ``spec`` (the
schema), ``api`` (operations), ``messages``, ``text`` (formats), ``updates`` (long
polling), ``inject`` (citizens), ``control`` (by hand), ``state``, ``errors``.
Run by hand: ``python -m simulators.max --port 8083``.
"""

from .fake import DEFAULT_TOKEN, FakeMax

__all__ = ["DEFAULT_TOKEN", "FakeMax"]
