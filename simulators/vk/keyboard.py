"""Validation of bot keyboards and callback-button answers (``event_data``).

Rules follow VK's bot keyboard docs: buttons are rows of objects with an
``action``; regular keyboards hold at most 10 rows x 5 buttons (40 in all),
inline ones 6 rows x 5 (10 in all); labels are at most 40 characters and
payloads are JSON strings of at most 255 characters.  Any violation answers
error 911 "Keyboard format is invalid: <reason>".
"""

from __future__ import annotations

import json
from typing import Any

from .errors import VkError, invalid

MAX_LABEL = 40
MAX_PAYLOAD = 255
MAX_SNACKBAR = 90
LIMITS = {False: (10, 5, 40), True: (6, 5, 10)}  # inline -> (rows, per row, total)
LABELLED = {"text", "callback", "open_link", "open_app"}
ACTION_TYPES = LABELLED | {"location", "vkpay"}
COLORS = {"primary", "secondary", "negative", "positive", "default"}


def _bad(reason: str) -> VkError:
    return VkError(911, reason)


def _check_payload(payload: Any) -> None:
    if payload is None:
        return
    if not isinstance(payload, str):
        raise _bad("payload must be a string")
    if len(payload) > MAX_PAYLOAD:
        raise _bad(f"payload is longer than {MAX_PAYLOAD} characters")
    try:
        json.loads(payload)
    except ValueError:
        raise _bad("payload must be valid JSON") from None


def _check_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("action"), dict):
        raise _bad("each button needs an action object")
    action = button["action"]
    kind = action.get("type")
    if kind not in ACTION_TYPES:
        raise _bad(f"unknown action type {kind!r}")
    if kind in LABELLED:
        label = action.get("label")
        if not isinstance(label, str) or not label:
            raise _bad(f"{kind} button needs a label")
        if len(label) > MAX_LABEL:
            raise _bad(f"label {label[:20]!r}... is longer than {MAX_LABEL} characters")
    if kind == "open_link" and not str(action.get("link", "")).startswith(("http://", "https://")):
        raise _bad("open_link button needs an http(s) link")
    _check_payload(action.get("payload"))
    if "color" in button:
        if kind not in ("text", "callback"):
            raise _bad(f"{kind} button cannot have a color")
        if button["color"] not in COLORS:
            raise _bad(f"unknown color {button['color']!r}")


def parse_keyboard(raw: str) -> dict[str, Any]:
    """Parse and validate a ``keyboard`` parameter; error 911 when malformed."""
    try:
        keyboard = json.loads(raw)
    except ValueError:
        raise _bad("keyboard is not valid JSON") from None
    if not isinstance(keyboard, dict) or not isinstance(keyboard.get("buttons"), list):
        raise _bad("keyboard must be an object with a buttons array")
    inline = keyboard.get("inline", False)
    one_time = keyboard.get("one_time", False)
    if not isinstance(inline, bool) or not isinstance(one_time, bool):
        raise _bad("inline and one_time must be booleans")
    if inline and one_time:
        raise _bad("an inline keyboard cannot be one_time")
    max_rows, max_per_row, max_total = LIMITS[inline]
    rows = keyboard["buttons"]
    if len(rows) > max_rows:
        raise _bad(f"too many rows: {len(rows)} > {max_rows}")
    total = 0
    for row in rows:
        if not isinstance(row, list) or not row:
            raise _bad("buttons must be an array of non-empty rows")
        if len(row) > max_per_row:
            raise _bad(f"too many buttons in a row: {len(row)} > {max_per_row}")
        total += len(row)
        for button in row:
            _check_button(button)
    if total > max_total:
        raise _bad(f"too many buttons: {total} > {max_total}")
    return keyboard


def parse_event_data(raw: str) -> dict[str, Any]:
    """Validate ``event_data`` of ``messages.sendMessageEventAnswer`` (error 100)."""
    try:
        parsed = json.loads(raw)
    except ValueError:
        raise invalid("event_data", "is invalid: not JSON") from None
    data: dict[str, Any] = parsed if isinstance(parsed, dict) else {}
    kind = data.get("type")
    if kind == "show_snackbar":
        text = data.get("text")
        if not isinstance(text, str) or not text or len(text) > MAX_SNACKBAR:
            raise invalid("event_data", f"is invalid: snackbar text must be 1..{MAX_SNACKBAR}")
    elif kind == "open_link":
        if not str(data.get("link", "")).startswith(("http://", "https://")):
            raise invalid("event_data", "is invalid: open_link needs a link")
    elif kind == "open_app":
        if not isinstance(data.get("app_id"), int):
            raise invalid("event_data", "is invalid: open_app needs app_id")
    else:
        raise invalid("event_data", f"is invalid: unknown type {kind!r}")
    return data
