"""Hotlines: citizens' questions from every platform into one moderation queue.

``install(services)`` registers the planner (opens and closes campaigns), the outbox hooks
(cards remembered, delivery shown on the card) and ``services.features["hotlines"]``.
"""

from __future__ import annotations

from shared.hotlines import lemmas
from shared.hotlines.conversation import Conversation
from shared.hotlines.deadlines import DeadlinePlanner
from shared.hotlines.moderation import hooks
from shared.hotlines.planner import HotlinePlanner
from shared.hotlines.refs import HotlineRef
from shared.hotlines.retention import (
    PrivacyRef,
    RetentionPlanner,
    on_confirmation,
    on_queue_page,
)
from shared.services import Services


def install(services: Services) -> None:
    services.add_planner(HotlinePlanner(services))
    services.add_planner(DeadlinePlanner(services))
    services.add_planner(RetentionPlanner(services))
    services.on_outcome(PrivacyRef.FORGOTTEN, on_confirmation)
    services.on_outcome(HotlineRef.QUEUE, on_queue_page)
    for ref_type, hook in hooks(services).items():
        services.on_outcome(ref_type, hook)
    services.features["hotlines"] = Conversation(services)
    lemmas.warm()  # the dictionaries load in a thread from start, not in the first intake


def conversation(services: Services) -> Conversation:
    feature = services.features.get("hotlines")
    if not isinstance(feature, Conversation):
        feature = Conversation(services)
        services.features["hotlines"] = feature
    return feature
