"""Alerts: citizens subscribe to topics; the office sends them notices in their private
chats on every platform, through the outbox's broadcast lanes.

``install(services)`` loads the topics, registers the planner (queueing resumed, the live
status message, the final summary) and the outbox hook, and sets
``services.features["alerts"]``.
"""

from __future__ import annotations

from shared.alerts import topics as topic_file
from shared.alerts.flow import Subscriptions
from shared.alerts.model import AlertRef
from shared.alerts.planner import AlertPlanner
from shared.alerts.service import on_notice
from shared.alerts.topics import Topic
from shared.services import Services


class Alerts:
    """The feature as the bots see it: the topics and the citizen's subscription flow."""

    def __init__(self, services: Services) -> None:
        self.topics: list[Topic] = topic_file.load(services.settings.alerts.topics_file)
        self.subscriptions = Subscriptions(services, self.topics)

    def find_topic(self, name: str) -> Topic | None:
        return topic_file.find(self.topics, name)


def install(services: Services) -> None:
    services.features["alerts"] = Alerts(services)
    services.add_planner(AlertPlanner(services))
    services.on_outcome(AlertRef.NOTICE, on_notice)


def feature(services: Services) -> Alerts:
    found = services.features.get("alerts")
    if not isinstance(found, Alerts):
        found = Alerts(services)
        services.features["alerts"] = found
    return found
