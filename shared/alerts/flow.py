"""The citizen's side of alerts, the same on every platform: the subscription menu
(`/subscribe` or the menu entry), a topic switched on or off, «Отписаться» under a notice.

A subscription is personal data: only a citizen who consented (the consent text covers
alerts) can subscribe; anyone else is handed to the hotline conversation, which asks, and
a topic button pressed without consent (withdrawn since the menu came) stores nothing and
says that consent is needed. Unsubscribing needs none.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncConnection

from shared import callbacks, throttle
from shared.alerts import subscriptions
from shared.alerts.model import AlertRef, Press, Want
from shared.alerts.topics import Topic
from shared.callbacks import CallbackToken
from shared.domain import OutboxAction
from shared.hotlines import redelivery
from shared.outbox import store
from shared.outbox.model import OutboxMessage
from shared.outbox.payload import Button, message
from shared.richtext import from_plain
from shared.services import Services
from shared.storage import citizens
from shared.storage.citizens import Citizen
from shared.typed import said

log = logging.getLogger(__name__)

MENU_WORDS = {"/subscribe", "подписки", "подписка", "уведомления", "оповещения"}
# Typed rather than pressed (a client without buttons): every topic off.
OUT_WORDS = {
    "/unsubscribe",
    "отписаться",
    "отписаться от всего",
    "отписаться от всех",
    "отписаться от оповещений",
    "отписаться от уведомлений",
}
PRIORITY_CITIZEN = 10  # as a hotline answer: an interactive send
# The fewest buttons a platform's keyboard takes is ten: a menu of more topics comes in
# pages of eight, beside «Назад» and «Ещё темы».
WHOLE_MENU = 10
PAGE_SIZE = 8


class Subscriptions:
    def __init__(self, services: Services, topics: list[Topic]) -> None:
        self.services = services
        self.texts = services.texts
        self.topics = topics

    def wants_menu(self, text: str) -> bool:
        return said(text) in MENU_WORDS

    def wants_out(self, text: str) -> bool:
        return said(text) in OUT_WORDS

    async def unsubscribe_all(self, platform: str, user_id: str) -> bool:
        """«Отписаться» typed: every topic off, said in one line (needs no consent);
        False for someone the bot does not know (the conversation greets them)."""
        async with self.services.db.write() as conn:
            citizen = await citizens.find(conn, platform, user_id)
            if citizen is None:
                return False
            await self._reached(conn, citizen)
            if await self._counted(conn, citizen):
                topics = await subscriptions.of_citizen(conn, citizen.id)
                for key in sorted(topics):
                    await subscriptions.unsubscribe(conn, citizen.id, key)
                said = "alerts.unsubscribed_all" if topics else "alerts.no_subscriptions"
                await self._say(conn, citizen, self.texts(said))
        self.services.wake_outbox()
        return True

    async def menu(self, platform: str, user_id: str) -> bool:
        """Show the topics and which are on; False for a citizen without consent."""
        async with self.services.db.write() as conn:
            citizen = await citizens.find(conn, platform, user_id)
            if citizen is None or citizen.consent_at is None:
                return False
            await self._reached(conn, citizen)
            if await self._counted(conn, citizen):
                await self._menu(conn, citizen, self.texts("alerts.menu"))
        self.services.wake_outbox()
        return True

    async def press(self, platform: str, user_id: str, token: CallbackToken | None) -> bool:
        """A citizen's alerts button; False when it is not one (or not theirs)."""
        if token is None or token.action not in (Press.TOGGLE, Press.UNSUBSCRIBE, Press.PAGE):
            return False
        async with self.services.db.write() as conn:
            citizen = await citizens.find(conn, platform, user_id)
            mine = token.action == Press.UNSUBSCRIBE or token.target_id == (citizen and citizen.id)
            if citizen is None or not mine:
                log.info("%s/%s pressed an alerts button that is not theirs", platform, user_id)
                return False
            await self._reached(conn, citizen)
            cfg = self.services.settings.hotline
            # Silenced, or a flood of presses: acknowledged, not answered.
            if await self.services.presses.answered(conn, citizen.id, cfg):
                await self._act(conn, citizen, token)
        self.services.wake_outbox()
        return True

    async def _act(self, conn: AsyncConnection, citizen: Citizen, token: CallbackToken) -> None:
        """What a press does once it is to be answered: another page of the menu, or a
        topic switched."""
        page = _page(token)
        if token.action == Press.PAGE:
            if citizen.consent_at is None:
                await self._say(conn, citizen, self.texts("alerts.need_consent"))
            else:
                await self._menu(conn, citizen, self.texts("alerts.menu"), page)
            return
        key = str(token.data.get("topic", ""))
        topic = self._topic(key)
        if topic is None:
            if not _wanted(token, True):  # a way out of a topic since removed: still honoured
                await subscriptions.unsubscribe(conn, citizen.id, key)
            await self._menu_if_consented(conn, citizen, self.texts("alerts.topic_gone"), page)
        else:
            await self._switch(conn, citizen, token, topic)

    async def _switch(
        self, conn: AsyncConnection, citizen: Citizen, token: CallbackToken, topic: Topic
    ) -> None:
        """Put the topic in the state the button asked for; already there, a repeated
        press (a double tap, an old menu) changes nothing and says nothing, the menu sent
        after the first one being current. Without consent nothing is stored: only the
        way out works, and a subscription is refused with a pointer to the consent."""
        on = topic.key in await subscriptions.of_citizen(conn, citizen.id)
        want = _wanted(token, on)
        if want and citizen.consent_at is None:
            await self._say(conn, citizen, self.texts("alerts.need_consent"))
        elif token.action == Press.UNSUBSCRIBE:
            await subscriptions.unsubscribe(conn, citizen.id, topic.key)
            await self._say(conn, citizen, self.texts("alerts.unsubscribed", topic=topic.title))
        elif want == on:
            log.info("alerts button pressed again: %s is already as it asks", topic.key)
        elif want:
            await subscriptions.subscribe(conn, citizen.id, topic.key)
            text = self.texts("alerts.subscribed", topic=topic.title)
            await self._menu(conn, citizen, text, _page(token))
        else:
            await subscriptions.unsubscribe(conn, citizen.id, topic.key)
            text = self.texts("alerts.unsubscribed", topic=topic.title)
            await self._menu_if_consented(conn, citizen, text, _page(token))

    async def _menu_if_consented(
        self, conn: AsyncConnection, citizen: Citizen, text: str, page: int = 0
    ) -> None:
        """The menu again, but only to a citizen who may use it (as ``menu``): without
        consent (withdrawn, an old menu pressed on the way out) the text alone."""
        if citizen.consent_at is None:
            await self._say(conn, citizen, text)
        else:
            await self._menu(conn, citizen, text, page)

    async def _counted(self, conn: AsyncConnection, citizen: Citizen) -> bool:
        """A menu word is a message: it counts in the citizen's flood control with the
        others (``shared.throttle``); False, warned once, when over the limit."""

        async def warn(minutes: int) -> None:
            await self._say(conn, citizen, self.texts("citizen.slow_down", minutes=minutes))

        return await throttle.admit(conn, citizen.id, self.services.settings.hotline, warn)

    async def _reached(self, conn: AsyncConnection, citizen: Citizen) -> None:
        """A citizen who blocked the bot and now writes to it again is reachable again (and
        gets the answers that could not reach them meanwhile)."""
        if not citizen.reachable:
            await citizens.set_fields(conn, citizen.id, reachable=True)
            await redelivery.answers_again(conn, self.services, citizen.id)

    def _topic(self, key: str) -> Topic | None:
        return next((t for t in self.topics if t.key == key), None)

    async def _menu(
        self, conn: AsyncConnection, citizen: Citizen, text: str, page: int = 0
    ) -> None:
        """The topics as buttons, ✓ on those the citizen is subscribed to. A list longer
        than the smallest keyboard a platform takes comes in pages, so every topic can be
        reached on every platform."""
        on = await subscriptions.of_citizen(conn, citizen.id)
        pages = _pages(len(self.topics))
        page = min(max(page, 0), pages - 1)
        shown = self.topics if pages == 1 else self.topics[page * PAGE_SIZE :][:PAGE_SIZE]
        rows = [[await self._topic_button(conn, citizen, t, t.key in on, page)] for t in shown]
        text = f"{text}\n\n{self.texts('alerts.menu_hint')}"
        if pages > 1:
            first = page * PAGE_SIZE + 1
            last, total = first + len(shown) - 1, len(self.topics)
            text += "\n" + self.texts("alerts.menu_page", first=first, last=last, total=total)
            rows.append(await self._paging(conn, citizen, page, pages))
        await self._say(conn, citizen, text, rows)

    async def _paging(
        self, conn: AsyncConnection, citizen: Citizen, page: int, pages: int
    ) -> list[Button]:
        """«‹ Назад» and «Ещё темы ›» where there is a page to go to."""
        row = []
        if page > 0:
            back = self.texts("alerts.btn_back")
            row.append(await callbacks.button(conn, back, Press.PAGE, citizen.id, page=page - 1))
        if page < pages - 1:
            more = self.texts("alerts.btn_more")
            row.append(await callbacks.button(conn, more, Press.PAGE, citizen.id, page=page + 1))
        return row

    async def _topic_button(
        self, conn: AsyncConnection, citizen: Citizen, topic: Topic, on: bool, page: int
    ) -> Button:
        """The label shows the topic's state now, and the token keeps what pressing it then
        means (see ``Want``), so pressing it twice, or later, cannot undo it; and the page
        it is on, for the menu that follows."""
        key, want = (
            ("alerts.topic_on", Want.UNSUBSCRIBE) if on else ("alerts.topic_off", Want.SUBSCRIBE)
        )
        label = self.texts(key, topic=topic.title)
        return await callbacks.button(
            conn, label, Press.TOGGLE, citizen.id, topic=topic.key, want=want.value, page=page
        )

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


def _wanted(token: CallbackToken, on: bool) -> bool:
    """Should the topic be on after this press? «Отписаться» turns it off; a menu button
    does what it said when the menu was built; a token from before that was recorded
    (no "want") flips the topic, as it always did."""
    if token.action == Press.UNSUBSCRIBE:
        return False
    want = token.data.get("want")
    if want is None:
        return not on
    return Want(want) is Want.SUBSCRIBE


def _pages(topics: int) -> int:
    return 1 if topics <= WHOLE_MENU else -(-topics // PAGE_SIZE)


def _page(token: CallbackToken) -> int:
    """The menu page a button was on (tokens from before pages: the first)."""
    page = token.data.get("page", 0)
    return page if isinstance(page, int) else 0
