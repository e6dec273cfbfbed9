"""The citizen's side of alerts, the same on every platform: the subscription menu
(`/subscribe` or the menu entry), a topic switched on or off, «Отписаться» under a notice.

A subscription is personal data: only a citizen who consented (the consent text covers
alerts) can subscribe; anyone else is handed to the hotline conversation, which asks.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncConnection

from shared import callbacks
from shared.alerts import subscriptions
from shared.alerts.model import AlertRef, Press
from shared.alerts.topics import Topic
from shared.callbacks import CallbackToken
from shared.domain import OutboxAction
from shared.outbox import store
from shared.outbox.model import OutboxMessage
from shared.outbox.payload import Button, message
from shared.richtext import from_plain
from shared.services import Services
from shared.storage import citizens
from shared.storage.citizens import Citizen

log = logging.getLogger(__name__)

MENU_WORDS = {"/subscribe", "подписки", "подписка", "уведомления", "оповещения"}
PRIORITY_CITIZEN = 10  # as a hotline answer: an interactive send


class Subscriptions:
    def __init__(self, services: Services, topics: list[Topic]) -> None:
        self.services = services
        self.texts = services.texts
        self.topics = topics

    def wants_menu(self, text: str) -> bool:
        return text.strip().lower() in MENU_WORDS

    async def menu(self, platform: str, user_id: str) -> bool:
        """Show the topics and which are on; False for a citizen without consent."""
        async with self.services.db.write() as conn:
            citizen = await citizens.find(conn, platform, user_id)
            if citizen is None or citizen.consent_at is None:
                return False
            await self._reached(conn, citizen)
            await self._menu(conn, citizen, self.texts("alerts.menu"))
        self.services.wake_outbox()
        return True

    async def press(self, platform: str, user_id: str, token: CallbackToken | None) -> bool:
        """A citizen's alerts button; False when it is not one (or not theirs)."""
        if token is None or token.action not in (Press.TOGGLE, Press.UNSUBSCRIBE):
            return False
        topic = self._topic(str(token.data.get("topic", "")))
        async with self.services.db.write() as conn:
            citizen = await citizens.find(conn, platform, user_id)
            mine = token.action == Press.UNSUBSCRIBE or token.target_id == (citizen and citizen.id)
            if citizen is None or not mine:
                log.info("%s/%s pressed an alerts button that is not theirs", platform, user_id)
                return False
            await self._reached(conn, citizen)
            if topic is None:
                await self._menu(conn, citizen, self.texts("alerts.topic_gone"))
            elif token.action == Press.UNSUBSCRIBE:
                await subscriptions.unsubscribe(conn, citizen.id, topic.key)
                await self._say(conn, citizen, self.texts("alerts.unsubscribed", topic=topic.title))
            elif await subscriptions.subscribe(conn, citizen.id, topic.key):
                await self._menu(conn, citizen, self.texts("alerts.subscribed", topic=topic.title))
            else:
                await subscriptions.unsubscribe(conn, citizen.id, topic.key)
                await self._menu(
                    conn, citizen, self.texts("alerts.unsubscribed", topic=topic.title)
                )
        self.services.wake_outbox()
        return True

    async def _reached(self, conn: AsyncConnection, citizen: Citizen) -> None:
        """A citizen who blocked the bot and now writes to it again is reachable again."""
        if not citizen.reachable:
            await citizens.set_fields(conn, citizen.id, reachable=True)

    def _topic(self, key: str) -> Topic | None:
        return next((t for t in self.topics if t.key == key), None)

    async def _menu(self, conn: AsyncConnection, citizen: Citizen, text: str) -> None:
        """The topics as buttons, ✓ on those the citizen is subscribed to."""
        on = await subscriptions.of_citizen(conn, citizen.id)
        rows: list[list[Button]] = []
        for topic in self.topics:
            label = self.texts(
                "alerts.topic_on" if topic.key in on else "alerts.topic_off", topic=topic.title
            )
            rows.append(
                [await callbacks.button(conn, label, Press.TOGGLE, citizen.id, topic=topic.key)]
            )
        await self._say(conn, citizen, f"{text}\n\n{self.texts('alerts.menu_hint')}", rows)

    async def _say(
        self,
        conn: AsyncConnection,
        citizen: Citizen,
        text: str,
        buttons: list[list[Button]] | None = None,
    ) -> None:
        await store.enqueue(
            conn,
            OutboxMessage(
                platform=citizen.platform,
                action=OutboxAction.SEND,
                destination=citizen.platform_user_id,
                payload=message(from_plain(text), buttons=buttons or []),
                priority=PRIORITY_CITIZEN,
                ref_type=AlertRef.CITIZEN,
                citizen_id=citizen.id,
            ),
        )
