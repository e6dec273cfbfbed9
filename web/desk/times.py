"""A publication time typed into a desk form (``datetime-local``): read in the office's
time zone, refused in Russian when unreadable or past, and asked to be confirmed when more
than a year ahead (``FAR_AHEAD``), as ``glashatai post create --at`` asks for ``--yes``: a
typo in the year (2062 for 2026) is likelier than a plan, and would hide the post where
nobody looks."""

from __future__ import annotations

from datetime import datetime

from shared.clock import utcnow
from shared.errors import InvalidInput
from shared.posts import service
from shared.posts.model import FAR_AHEAD
from shared.posts.when import parse_when
from shared.services import Services

# The form's tick box that confirms a time more than a year ahead.
CONFIRM_FIELD = "far_ok"


class FarAhead(InvalidInput):
    """A time more than a year ahead, not confirmed: the form asks for the tick."""

    def __init__(self, message: str, typed: str) -> None:
        super().__init__(message)
        self.typed = typed


def when(services: Services, typed: str, confirmed: bool) -> datetime:
    raw = typed.strip()  # a datetime-local field sends 2026-12-01T10:00: parse_when reads it
    try:
        at = parse_when(raw, utcnow(), services.settings.tz)
    except InvalidInput:
        raise InvalidInput(services.texts("web.desk.editor.bad_time", text=raw[:40])) from None
    service.check_time(services, at)
    if at - utcnow() > FAR_AHEAD and not confirmed:
        shown = f"{at.astimezone(services.settings.tz):%d.%m.%Y %H:%M}"
        raise FarAhead(services.texts("web.desk.safety.far_future", when=shown), typed.strip())
    return at
