"""The ``.env`` that ``glashatai run`` writes on first contact, so one command is enough.

Only what must be filled in, with where each value comes from; every other variable has
a working default and is documented in the project's ``.env.example``.
"""

from __future__ import annotations

import os
from pathlib import Path

TEMPLATE = """\
# Glashatai configuration, written by the first `glashatai run`. Fill in at least one
# platform, then run `glashatai check` and `glashatai run` again. Every other variable
# (time zone, quiet hours, hotline settings, PostgreSQL...) has a default and is
# documented in .env.example in the project's repository.

# --- Telegram -------------------------------------------------------------------------
# The bot's token: in Telegram, @BotFather -> /newbot (or /token for an existing bot).
GLASHATAI_TELEGRAM__TOKEN=
# The moderators' group chat (-100...): add the bot there; web.telegram.org shows the id
# in the group's address.
GLASHATAI_TELEGRAM__ADMIN_CHAT_ID=
# The office's channel: @username or -100...; the bot must be one of its admins.
GLASHATAI_TELEGRAM__CHANNEL_ID=

# --- VK -------------------------------------------------------------------------------
# The community's numeric id (without the minus sign).
GLASHATAI_VK__GROUP_ID=
# Community token: community -> Manage -> API usage -> Access tokens, with messages
# access; on the same page enable Long Poll API (version 5.199, event message_new).
GLASHATAI_VK__GROUP_TOKEN=
# A community admin's user token with wall, photos, docs and offline rights (VK accepts
# wall posts and their photo uploads only with a user token).
GLASHATAI_VK__USER_TOKEN=

# --- MAX ------------------------------------------------------------------------------
# The bot's token: business.max.ru -> your organisation's bot -> Integration (Интеграция)
# -> Get token.
GLASHATAI_MAX__TOKEN=
# The office's MAX channel (its numeric id); the bot must be its admin with the right to
# write.
GLASHATAI_MAX__CHANNEL_ID=
"""


def write_template(path: Path) -> bool:
    """Write the template unless a file is already there; True if it was written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(TEMPLATE)
    return True
