"""/report in the admin chat: the office's report for a period, as a Word file and charts.

``/report`` alone covers this year up to today; ``/report 2026-01-01 2026-12-31`` (or
``01.01.2026 31.12.2026``) a period of its own.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bots.telegram.filters import InAdminChat
from bots.telegram.moderators import guarded
from shared.errors import InvalidInput
from shared.hotlines.model import Moderator
from shared.reports import delivery
from shared.services import Services


def period_words(args: str) -> list[str]:
    """The dates of ``/report``, written as people write a period too: «01.01.2026 —
    31.12.2026» (a dash, spaced or not; a hyphen only between spaces: ISO dates have them)."""
    spaced = args.replace("—", " ").replace("–", " ")
    return [word for word in spaced.split() if word != "-"]


async def send_report(
    message: Message, command: CommandObject, services: Services, moderator: Moderator
) -> None:
    dates = period_words(command.args or "")
    if len(dates) > 2:
        raise InvalidInput(services.texts("report.bad_date", value=" ".join(dates[2:])))
    first = dates[0] if dates else None
    last = dates[1] if len(dates) > 1 else None
    span = delivery.period(first, last, services.settings.tz, services.texts)
    await delivery.to_admin_chat(services, span, moderator.actor, reply_to=message.message_id)


def router() -> Router:
    """The report, for moderators in the admin chat only."""
    found = guarded(Router(name=__name__))
    found.message.register(send_report, Command("report"), InAdminChat())
    return found
