"""API method handlers; importing this package registers them in ``METHODS``."""

from . import community, media, messages, wall

__all__ = ["community", "media", "messages", "wall"]
