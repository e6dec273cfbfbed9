"""What a hotline's outbox rows are for: their ``ref_type``.

The ref type picks the hooks that run on a row's outcome (``moderation.hooks``) and lets
queries find a kind of row (the queued cards, the backlog summary). One enum for the
whole feature: the cards, the moderators' side and the citizens' side share these rows.
"""

from __future__ import annotations

from enum import StrEnum


class HotlineRef(StrEnum):
    CARD = "card"  # a question's card to the admin chat; ref_id is the question
    CARD_MEDIA = "card_media"  # photos that joined a question after its card went out
    CARD_EDIT = "card_edit"  # an edit of a card to show its question's state now
    BACKLOG = "backlog"  # the one summary that stands in for cards held back in a flood
    MODERATION = "moderation"  # the bot's reply to a moderator in the admin chat
    # A /queue page: it quotes waiting questions (their ids in its payload's extra
    # "quotes"), so a citizen's withdrawal takes back the pages quoting theirs.
    QUEUE = "queue"
    ANSWER = "answer"  # a moderator's answer to the citizen; ref_id is the answer
    REJECTION = "rejection"  # the polite note that a question was rejected; ref_id is it
    CITIZEN = "citizen"  # any other message to a citizen (prompts, confirmations, warnings)
    DIGEST = "digest"  # a hotline's digest file to the admin chat; ref_id is the hotline
