"""A simulated citizen's hands on each platform: what they tap and write, what they read.

Every action is injected into the platform's simulator exactly as the platform delivers a
person's update (the bot fetches it by getUpdates or long poll); what the citizen reads
is what the bot sent to their chat. The rehearsal scenario drives citizens through this.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from sandbox.simulated import Simulators
from sandbox.world import Person
from simulators.max.state import BOT_USER_ID

AGREE = "Согласен(на)"


class Hands(Protocol):
    """One citizen on one platform."""

    def start(self) -> None:
        """Open the bot (the platform's Start)."""

    def agree(self) -> bool:
        """Press "agree" on the consent request; False while there is none to press."""

    def write(self, text: str) -> None:
        """Send the bot a message."""

    def read(self) -> list[str]:
        """The texts the bot sent this citizen, oldest first."""


class TelegramHands:
    def __init__(self, sims: Simulators, person: Person) -> None:
        self.fake, self.user_id = sims.telegram, person.user_id

    def start(self) -> None:
        self.fake.user_message(self.user_id, text="/start")

    def agree(self) -> bool:
        for message in reversed(self.fake.messages(self.user_id)):
            rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
            for button in (b for row in rows for b in row):
                if button.get("text") == AGREE and "callback_data" in button:
                    self.fake.callback(
                        self.user_id, message["message_id"], self.user_id, button["callback_data"]
                    )
                    return True
        return False

    def write(self, text: str) -> None:
        self.fake.user_message(self.user_id, text=text)

    def read(self) -> list[str]:
        return [
            str(m.get("text") or m.get("caption") or "") for m in self.fake.messages(self.user_id)
        ]


class VkHands:
    def __init__(self, sims: Simulators, person: Person) -> None:
        self.fake, self.person = sims.vk, person

    def start(self) -> None:
        first, _, last = self.person.name.partition(" ")
        self.fake.user_message(
            self.person.user_id,
            "Начать",
            payload={"command": "start"},
            first_name=first,
            last_name=last,
        )

    def agree(self) -> bool:
        for message in reversed(self.fake.messages(self.person.user_id)):
            for button in _vk_buttons(message):
                action = button.get("action", {})
                if action.get("label") == AGREE and action.get("type") == "callback":
                    payload = action.get("payload")
                    parsed = json.loads(payload) if isinstance(payload, str) else payload
                    self.fake.message_event(self.person.user_id, parsed)
                    return True
        return False

    def write(self, text: str) -> None:
        first, _, last = self.person.name.partition(" ")
        self.fake.user_message(self.person.user_id, text, first_name=first, last_name=last)

    def read(self) -> list[str]:
        return [str(m.get("message") or "") for m in self.fake.messages(self.person.user_id)]


def _vk_buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    keyboard = message.get("keyboard") or {}
    if isinstance(keyboard, str):
        keyboard = json.loads(keyboard)
    return [button for row in keyboard.get("buttons", []) for button in row]


class MaxHands:
    def __init__(self, sims: Simulators, person: Person) -> None:
        self.fake, self.person = sims.max, person

    def start(self) -> None:
        first, _, last = self.person.name.partition(" ")
        self.fake.bot_started(self.person.user_id, first_name=first, last_name=last or None)

    def agree(self) -> bool:
        try:
            self.fake.press(self.person.user_id, AGREE)
        except (LookupError, ValueError):
            return False
        return True

    def write(self, text: str) -> None:
        first, _, last = self.person.name.partition(" ")
        self.fake.user_message(self.person.user_id, text, first_name=first, last_name=last or None)

    def read(self) -> list[str]:
        return [
            str(m.get("text") or "")
            for m in self.fake.dialog_messages(self.person.user_id)
            if m.get("sender_id") == BOT_USER_ID
        ]


def hands(sims: Simulators, person: Person) -> Hands:
    """The citizen's hands on their platform."""
    if person.platform == "telegram":
        return TelegramHands(sims, person)
    if person.platform == "vk":
        return VkHands(sims, person)
    if person.platform == "max":
        return MaxHands(sims, person)
    raise ValueError(f"unknown platform {person.platform!r}")
