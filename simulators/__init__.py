"""Simulators of the platforms' HTTP APIs: Telegram Bot API, VK API and MAX Bot API.

Strict fakes that keep the platforms' limits, error shapes and rules (a request that breaks
one is answered as the platform would and recorded as a violation). The tests run the real
clients against them, and ``glashatai sandbox`` runs the whole suite against them, so a
newcomer can try it and moderators can rehearse without a single account.

What the three share lives here, what differs per platform in ``telegram/``, ``vk/`` and
``max/``: ``serving`` (the server's thread and loop, start/stop/``with``, the hub that wakes
long polls), ``switches`` (settings flipped under the state's lock), ``ratewindow`` (the
sliding window requests are counted in), ``faults`` (scripted failures taken in turn),
``images`` (sniffing and real PNGs), ``running`` (the ``python -m`` commands), ``waiting``
and ``control`` (driving a fake by hand over HTTP).
"""
