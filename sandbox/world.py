"""What the sandbox made in the simulators: the people, chats and channels the page shows.

The sandbox prepares the simulators as the office's world (an admin supergroup, a channel,
a VK community, a MAX channel, citizens); the page draws exactly this and acts through the
simulators' control endpoints at these URLs, so both sides agree on one description.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


@dataclass(frozen=True)
class Person:
    """A simulated human on one platform."""

    platform: str  # the platform package's NAME ("telegram" | "vk" | "max")
    user_id: int
    name: str


@dataclass(frozen=True)
class World:
    """What the sandbox made; the page shows it."""

    telegram_url: str  # base URL of the Telegram simulator (its /control/... endpoints)
    vk_url: str  # base URL of the VK simulator
    max_url: str  # base URL of the MAX simulator
    admin_chat_id: int  # the Telegram admin supergroup
    moderator: Person  # the moderator the page acts as in the admin chat
    channel_id: int  # Telegram channel chat id
    vk_group_id: int  # the VK community (wall owner -group_id)
    max_channel_id: int  # the MAX channel the bot posts to
    citizens: tuple[Person, ...]  # the phones shown (one per platform at least)


class ScenarioPhase(enum.Enum):
    """Where the rehearsal scenario is."""

    # never started, or stopped and ready to start again
    IDLE = "idle"
    # opening the hotline
    OPENING = "opening"
    # citizens are consenting and asking
    RUNNING = "running"
    # every citizen asked; the moderators answer at their pace
    DONE = "done"
    # stopped by an error (see ScenarioState.error)
    FAILED = "failed"


@dataclass(frozen=True)
class ScenarioState:
    """A snapshot of the scenario for the page (Scenario.state())."""

    phase: ScenarioPhase
    hotline_title: str | None  # the hotline it opened, once open
    citizens: int  # how many simulated citizens take part
    asked: int  # questions sent so far
    error: str | None  # one line when phase is FAILED
