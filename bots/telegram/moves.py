"""Basic groups that Telegram upgraded to supergroups (an admin turned on topics, made the
group public…): the group's id names no chat any more, and every call to it answers 400
with the supergroup's id. The admin chat follows its group there, for this run: the
configuration still names the old id, and each start finds the move again (``verify``) —
the log says which id to set."""

from __future__ import annotations

import logging

from config.settings import TelegramSettings

log = logging.getLogger(__name__)


class GroupUpgraded(Exception):
    """A call named a group that is now the supergroup ``new``."""

    def __init__(self, old: int | str, new: int) -> None:
        super().__init__(f"the group {old} is now the supergroup {new}")
        self.old = old
        self.new = new


class ChatMoves:
    """Where each upgraded group went, and the admin chat kept pointing at its group."""

    def __init__(self, settings: TelegramSettings) -> None:
        self.settings = settings
        self.moved: dict[int, int] = {}

    def resolve(self, chat: int | str) -> int | str:
        while isinstance(chat, int) and chat in self.moved:
            chat = self.moved[chat]
        return chat

    def follow(self, old: int | str, new: int) -> bool:
        """Record a move; True when it moved the admin chat (the first time it is seen)."""
        if not isinstance(old, int) or self.moved.get(old) == new:
            return False
        self.moved[old] = new
        if self.settings.admin_chat_id != old:
            return False
        self.settings.admin_chat_id = new
        log.warning(
            "Telegram: the admin chat %s became the supergroup %s; the bot works there now."
            " Set GLASHATAI_TELEGRAM__ADMIN_CHAT_ID=%s in the configuration",
            old,
            new,
            new,
        )
        return True
