"""Errors the fake answers with: an HTTP status and MAX's body ``{"code", "message"}``.

Codes seen from the real API (the schema's examples, the official Go client's fixtures and
published client code): ``verify.token`` (401), ``attachment.not.ready`` (400, an uploaded
file still being processed), ``chat.denied`` with ``error.dialog.suspended`` (403, a user
who blocked the bot or deleted the dialog), ``too.many.requests`` (429). The others
(``proto.payload``, ``not.found``, ``access.denied``) follow the same style.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Code(StrEnum):
    """Error keys MAX puts in ``code``."""

    # the Authorization header is missing or the token is unknown
    VERIFY_TOKEN = "verify.token"
    # a malformed request: bad parameter, body or text length
    PROTO_PAYLOAD = "proto.payload"
    # an uploaded file is still being processed: retry the send later
    ATTACHMENT_NOT_READY = "attachment.not.ready"
    # the bot may not write there (a user blocked it, no right in a channel)
    CHAT_DENIED = "chat.denied"
    # the bot lacks a right for a message or chat action
    ACCESS_DENIED = "access.denied"
    # no such chat, message, callback or path
    NOT_FOUND = "not.found"
    # the wrong HTTP verb for a path
    METHOD_NOT_ALLOWED = "method.not.allowed"
    # more than the allowed requests per second
    TOO_MANY_REQUESTS = "too.many.requests"
    # a scripted server fault
    INTERNAL = "internal.error"


class MaxError(Exception):
    """An API error the fake answers with."""

    def __init__(self, status: int, code: Code | str, message: str = "") -> None:
        self.status = status
        self.code = str(code)
        self.message = message
        super().__init__(f"{status} {code}: {message}")

    def body(self) -> dict[str, Any]:
        """MAX's error body."""
        return {"code": self.code, "message": self.message}


def bad_request(message: str) -> MaxError:
    """400 ``proto.payload``."""
    return MaxError(400, Code.PROTO_PAYLOAD, message)


def not_found(message: str) -> MaxError:
    """404 ``not.found``."""
    return MaxError(404, Code.NOT_FOUND, message)


def dialog_suspended(user_id: int) -> MaxError:
    """403 for a user who blocked the bot, worded as MAX words it."""
    return MaxError(403, Code.CHAT_DENIED, f"Key: error.dialog.suspended, args: [{user_id},].")
