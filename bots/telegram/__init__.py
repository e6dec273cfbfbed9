"""Telegram: the office channel, citizens' hotlines and the moderators' admin chat."""

NAME = "telegram"  # the platform's name in outbox rows, publications and citizens
