"""All Bot API methods of the fake (getUpdates itself lives in the server)."""

from . import chats, editing, sending
from .registry import METHODS, MethodSpec

__all__ = ["METHODS", "MethodSpec", "chats", "editing", "sending"]
