"""Request parameters: reading them the way the Bot API does.

Every read names a field; reading a field not declared for the method is a bug
of the fake (it fails loudly), so the declarations can be checked against the spec.
"""

from __future__ import annotations

import json
from typing import Any

from .errors import bad_request
from .media import Upload

TRUE = frozenset({"true", "1", "yes", "on"})


class Params:
    """Parsed parameters of one call: string values and multipart file parts."""

    def __init__(
        self,
        method: str,
        fields: frozenset[str],
        values: dict[str, str],
        files: dict[str, Upload],
    ) -> None:
        self.method = method
        self.fields = fields
        self.values = values
        self.files = files

    def _declared(self, name: str) -> None:
        if name not in self.fields:
            raise AssertionError(f"fake reads undeclared field {name!r} of {self.method}")

    def has(self, name: str) -> bool:
        self._declared(name)
        return name in self.values or name in self.files

    def string(self, name: str) -> str | None:
        self._declared(name)
        return self.values.get(name)

    def integer(self, name: str) -> int | None:
        raw = self.string(name)
        if raw is None or raw == "":
            return None
        try:
            return int(raw)
        except ValueError:
            raise bad_request(f"invalid {name} specified") from None

    def boolean(self, name: str) -> bool:
        raw = self.string(name)
        return raw is not None and raw.strip().lower() in TRUE

    def parsed(self, name: str, error: str) -> Any:
        """Parse a JSON-serialized field; ``error`` is the description on bad JSON."""
        raw = self.string(name)
        if raw is None or raw == "":
            return None
        try:
            return json.loads(raw)
        except ValueError:
            raise bad_request(error) from None

    def file(self, name: str) -> Upload | str | None:
        """A file field: an uploaded part (direct or ``attach://``), or a file_id/URL string."""
        self._declared(name)
        if name in self.files:
            return self.files[name]
        raw = self.values.get(name)
        if raw is None or raw == "":
            return None
        if raw.startswith("attach://"):
            return self.files.get(raw[len("attach://") :])
        return raw

    def attachment(self, reference: str) -> Upload | str | None:
        """Resolve a ``media`` string of an InputMedia item."""
        if reference.startswith("attach://"):
            return self.files.get(reference[len("attach://") :])
        return reference or None

    def logged(self) -> dict[str, Any]:
        """Parameters as kept in the request log (files described, not copied)."""
        result: dict[str, Any] = dict(self.values)
        for name, upload in self.files.items():
            result[name] = {"filename": upload.filename, "size": len(upload.data)}
        return result


def type_field(obj: dict[str, Any], type_name: str, field: str) -> Any:
    """Read ``field`` of a nested object of spec type ``type_name`` (declared in TYPE_FIELDS)."""
    if field not in TYPE_FIELDS.get(type_name, frozenset()):
        raise AssertionError(f"fake reads undeclared field {field!r} of {type_name}")
    return obj.get(field)


# What an inline button does: exactly one of these fields (the rest of a button is its look).
BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)

# Fields of nested objects the fake reads; checked against the spec's types by the tests.
TYPE_FIELDS: dict[str, frozenset[str]] = {
    "InlineKeyboardMarkup": frozenset({"inline_keyboard"}),
    "ReplyKeyboardMarkup": frozenset({"keyboard"}),
    "ReplyKeyboardRemove": frozenset({"remove_keyboard"}),
    "ForceReply": frozenset({"force_reply"}),
    "KeyboardButton": frozenset({"text"}),
    "InlineKeyboardButton": frozenset({"text", *BUTTON_ACTIONS, "icon_custom_emoji_id", "style"}),
    "ReplyParameters": frozenset({"message_id", "chat_id", "allow_sending_without_reply"}),
    "MessageEntity": frozenset(
        {"type", "offset", "length", "url", "user", "language", "custom_emoji_id"}
    ),
    "InputMediaPhoto": frozenset(
        {"type", "media", "caption", "parse_mode", "caption_entities", "has_spoiler"}
    ),
    "InputMediaDocument": frozenset({"type", "media", "caption", "parse_mode", "caption_entities"}),
    "InputMediaVideo": frozenset(
        {"type", "media", "caption", "parse_mode", "caption_entities", "has_spoiler"}
    ),
    "InputMediaAudio": frozenset({"type", "media", "caption", "parse_mode", "caption_entities"}),
    "BotCommand": frozenset({"command", "description"}),
    "LinkPreviewOptions": frozenset(
        {"is_disabled", "url", "prefer_small_media", "prefer_large_media", "show_above_text"}
    ),
}
