"""VK API error codes used by the fake and the ``{"error": {...}}`` envelope.

Base messages equal the ``description`` of the code in the v5.199 schema
(``errors.json``); a test cross-checks that.  VK appends details after ": ".
"""

from __future__ import annotations

from typing import Any

ERROR_MESSAGES: dict[int, str] = {
    1: "Unknown error occurred",
    3: "Unknown method passed",
    5: "User authorization failed",
    6: "Too many requests per second",
    7: "Permission to perform this action is denied",
    8: "Invalid request",
    9: "Flood control",
    10: "Internal server error",
    14: "Captcha needed",
    15: "Access denied",
    18: "User was deleted or banned",
    27: "Group authorization failed",
    28: "Application authorization failed",
    29: "Rate limit reached",
    100: "One of the parameters specified was missing or invalid",
    113: "Invalid user id",
    118: "Invalid server",
    121: "Invalid hash",
    125: "Invalid group id",
    210: "Access to wall's post denied",
    214: "Access to adding post denied",
    900: "Can't send messages for users from blacklist",
    901: "Can't send messages for users without permission",
    902: "Can't send messages to this user due to their privacy settings",
    909: "Can't edit this message, because it's too old",
    911: "Keyboard format is invalid",
    914: "Message is too long",
    917: "You don't have access to this chat",
    920: "Can't edit this kind of message",
    932: "Your community can't interact with this peer",
}

# Details VK appends by default for some codes (used by ``FakeVK.fail`` too).
DEFAULT_DETAILS: dict[int, str] = {
    5: "invalid access_token (4).",
    27: "method is unavailable with group auth.",
}

# Globally meaningful parameters: never "method parameters" of a method.
GLOBAL_PARAMS: frozenset[str] = frozenset(
    {"v", "access_token", "captcha_sid", "captcha_key", "success_token", "lang", "test_mode"}
)


def error_message(code: int, detail: str | None = None) -> str:
    """VK-style message: the base text of ``code`` plus an optional detail."""
    base = ERROR_MESSAGES.get(code, f"Error {code}")
    if detail is None:
        detail = DEFAULT_DETAILS.get(code)
    return f"{base}: {detail}" if detail else base


class VkError(Exception):
    """An API error the fake answers with (HTTP 200, ``{"error": ...}``)."""

    def __init__(self, code: int, detail: str | None = None, **extra: Any) -> None:
        self.code = code
        self.msg = str(extra.pop("error_msg", None) or error_message(code, detail))
        self.extra = extra
        super().__init__(f"[{code}] {self.msg}")

    def body(self, method: str, params: dict[str, str]) -> dict[str, Any]:
        """The JSON body VK sends: code, message, echoed request params, extras."""
        request_params = [{"key": "method", "value": method}, {"key": "oauth", "value": "1"}]
        request_params += [
            {"key": k, "value": v} for k, v in params.items() if k not in ("access_token",)
        ]
        error: dict[str, Any] = {
            "error_code": self.code,
            "error_msg": self.msg,
            "request_params": request_params,
        }
        error.update(self.extra)
        return {"error": error}


def missing(name: str) -> VkError:
    """Error 100 for an absent required parameter."""
    return VkError(100, f"{name} is missing")


def invalid(name: str, what: str = "is invalid") -> VkError:
    """Error 100 for a malformed parameter."""
    return VkError(100, f"{name} {what}")
