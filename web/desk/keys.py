"""What the desk keeps on the application, and the neutral key of the moderator check."""

from __future__ import annotations

from typing import Protocol

from aiohttp import web

from web.desk.limits import Attempts
from web.desk.sessions import Keys

# ``services.features[MODERATORS]``: set by the platform that runs the admin chat (its
# runtime knows who moderates); without it nobody gets into the desk.
MODERATORS = "moderators"


class ModeratorCheck(Protocol):
    async def is_moderator(self, user_id: int | None) -> bool: ...


KEYS = web.AppKey("desk_keys", Keys)
LOGIN_ATTEMPTS = web.AppKey("desk_login_attempts", Attempts)
