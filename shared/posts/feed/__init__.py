"""Import from the office's website feeds: new items become drafts (or scheduled posts).

``fetch`` reads a feed with a conditional GET and downloads pictures and documents,
``parse`` turns feedparser's entries into items (text, photos, documents, categories),
``html`` turns an item's HTML into the neutral rich text, ``store`` remembers each feed's
validators and items, and ``planner`` polls the feeds and drafts or updates posts.
"""

from __future__ import annotations

from shared.posts.feed.planner import FeedPlanner

__all__ = ["FeedPlanner"]
