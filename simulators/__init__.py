"""Simulators of the platforms' HTTP APIs: Telegram Bot API, VK API and MAX Bot API.

Strict fakes that keep the platforms' limits, error shapes and rules (a request that breaks
one is answered as the platform would and recorded as a violation). The tests run the real
clients against them, and ``glashatai sandbox`` runs the whole suite against them, so a
newcomer can try it and moderators can rehearse without a single account.
"""
