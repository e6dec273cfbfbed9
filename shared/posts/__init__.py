"""Press releases: one post, published on time, exactly once, on every platform."""

from __future__ import annotations

from shared.posts.feed import FeedPlanner
from shared.posts.hooks import PublicationHooks
from shared.posts.model import REF_NOTICE, REF_PUBLICATION
from shared.posts.planner import PostPlanner
from shared.services import Services


def install(services: Services) -> None:
    """Register the publishing planner, the feed importer and the outbox hooks."""
    hooks = PublicationHooks(services)
    services.on_outcome(REF_PUBLICATION, hooks.on_publication)
    services.on_outcome(REF_NOTICE, hooks.on_notice)
    services.still_wanted(REF_PUBLICATION, hooks.still_wanted)
    planner = PostPlanner(services)
    services.add_planner(planner)
    if services.settings.publishing.feeds:
        services.add_planner(FeedPlanner(services))
    services.features["posts"] = planner
