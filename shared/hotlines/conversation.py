"""The citizen's side of a hotline, the same on every platform.

The conversation is a small state machine (:class:`State`) kept in
``citizens.state``/``state_data``, so a restart in the middle of it changes nothing.
Consent counts only as an answer to a consent request the citizen was shown: its button,
or a «да» written after it.

A citizen who came by a hotline's deep link (:mod:`shared.hotlines.conversation_links`)
is taken straight to that hotline while it is open, after the consent step if consent is
still needed: the link's hotline is kept in ``state_data["wanted"]`` meanwhile.

A Telegram album arrives as one message per photo, all with the same ``Incoming.album``:
the conversation keeps the album's id with what its first part made (the question, in
``state_data["album"]``, or the draft, in ``state_data["draft"]["album"]``), so the other
parts join it and count as no further message for the throttle.

A message the platform delivers twice is taken once (:mod:`shared.hotlines.replays`): what
stores or extends a question records the message's id in the same transaction, and a
message whose id is recorded is skipped before anything else.

A text longer than the platform's longest message reaches us cut by the citizen's app into
several messages: the parts after the first join what it made (the question or the draft),
without a second confirmation and without counting for the throttle, while each part is
long enough to have been cut (``Incoming.may_continue``) and the next comes within
``CONTINUES_WITHIN`` (``state_data["continues"]``).

A question is never filed under a hotline its author did not choose: when the hotline they
were writing to (``state_data["hotline_id"]``) has closed while others are open, their
message waits as a draft marked with it (``draft["closed"]``), they are told it closed and
asked to choose among the open ones or the press office without a hotline
(``state_data["general"]`` then keeps their next messages there too).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, NamedTuple

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from shared import callbacks, throttle
from shared.callbacks import CallbackToken
from shared.clock import utcnow
from shared.domain import HotlineStatus, OutboxState, QuestionStatus
from shared.errors import NotFound
from shared.hotlines import campaigns, cards, redelivery, replays, similar
from shared.hotlines import questions as repo
from shared.hotlines.batching import GroupCommit, tx_cache
from shared.hotlines.campaigns import Hotline
from shared.hotlines.conversation_links import hotline_of
from shared.hotlines.model import Attachment, Incoming, NameLookup
from shared.hotlines.moderation import card_or_summary, for_citizen
from shared.hotlines.refs import HotlineRef
from shared.hotlines.retention import withdraw
from shared.outbox import pending, store
from shared.outbox.payload import Button
from shared.richtext import Document, from_plain
from shared.services import Services
from shared.storage import citizens, media
from shared.storage.citizens import Citizen
from shared.storage.media import MediaOwner
from shared.storage.schema import citizens as citizens_table
from shared.storage.schema import media as media_table
from shared.storage.seen import MessageKey
from shared.typed import said, shows_anything

log = logging.getLogger(__name__)

# The words a citizen may type instead of a button, as ``typed.said`` leaves them.
START_WORDS = {"/start", "start", "начать", "старт", "привет", "здравствуйте", "меню"}
MINE_WORDS = {"мои вопросы", "/my", "/mine"}
_AGREE = {"согласен", "согласна", "согласен(на)", "согласие"}
YES_WORDS = {"да", *_AGREE, *(f"да {word}" for word in _AGREE)}
_DISAGREE = {"не согласен", "не согласна", "не согласен(на)"}
NO_WORDS = {"нет", *_DISAGREE, *(f"нет {word}" for word in _DISAGREE)}
FORGET_WORDS = {
    f"{verb} мои {what}"
    for verb in ("удалить", "удалите", "удалите пожалуйста", "пожалуйста удалите")
    for what in ("данные", "персональные данные")
} | {"/forget"}


class State(StrEnum):
    """Where a citizen is in the conversation; stored as its value in ``citizens.state``."""

    # Sent the consent request (outbox id in state_data["request"]; the hotline of the
    # link the citizen came by, if any, in state_data["wanted"]).
    CONSENT = "consent"
    REFUSED = "refused"  # said no to it: nothing personal is kept; the request stands
    CHOOSE = "choose"  # several hotlines open; state_data["draft"] may hold a question
    ASK = "ask"  # writing to the hotline in state_data["hotline_id"]
    IDLE = "idle"  # consented, no hotline to write to (state_data["general"]: by choice)


class _BatchKey(NamedTuple):
    """What a message's piece of an intake batch tells the batch's one read ahead."""

    platform: str
    user_id: str
    message: MessageKey | None


# How soon the next part of a text the citizen's app cut must come to join it, and how many
# parts join one question at most (then the next message is a question of its own).
CONTINUES_WITHIN = timedelta(seconds=30)
CONTINUES_AT_MOST = 10

# The consent request has (or, with the call in flight, may have) reached the citizen.
SHOWN = frozenset({OutboxState.SENDING, OutboxState.SENT})


def _draft_of(citizen: Citizen) -> dict[str, Any] | None:
    """The question waiting for the citizen's choice of hotline, if one is."""
    draft = citizen.state_data.get("draft") if citizen.state == State.CHOOSE else None
    return dict(draft) if isinstance(draft, dict) else None


def _owed(draft: dict[str, Any] | None) -> bool:
    """Is this draft one whose hotline closed under its author? It waits for their choice
    even with one hotline open (never filed under a hotline they did not choose)."""
    return draft is not None and draft.get("closed") is not None


def _mark(more: bool, question_id: int | None, parts: int = 1) -> dict[str, Any]:
    """The ``state_data`` entry that lets the citizen's next message continue this one:
    the question's (with None, the draft's) text, which the citizen's app may have cut."""
    if not more or parts >= CONTINUES_AT_MOST:
        return {}
    at = utcnow().isoformat()
    return {"continues": {"question_id": question_id, "at": at, "parts": parts}}


def _continuing(citizen: Citizen) -> dict[str, Any] | None:
    """The mark the citizen's last message left, while a next one may still continue it."""
    mark = citizen.state_data.get("continues")
    if not isinstance(mark, dict):
        return None
    fresh = utcnow() - datetime.fromisoformat(str(mark["at"])) <= CONTINUES_WITHIN
    return mark if fresh else None


class Press(StrEnum):
    """The citizen's buttons: the server-side action their tokens carry."""

    CONSENT = "citizen.consent"  # an answer to the consent request (data "yes")
    CHOOSE = "citizen.choose"  # a hotline picked from the open ones (data "hotline_id")
    MINE = "citizen.mine"  # «Мои вопросы»: the citizen's questions and their status
    FORGET = "citizen.forget"  # «Удалить мои данные»: consent withdrawn, data deleted now
    GENERAL = "citizen.general"  # a closed hotline's draft to the press office, no hotline


class Conversation:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.texts = services.texts
        self.settings = services.settings
        self.intake = GroupCommit(services.db, prepare=self._prefetch, finish=replays.flush)

    # --- entry points ------------------------------------------------------------------

    async def message(self, incoming: Incoming) -> None:
        """A citizen wrote something: text, photos, or something we can't take."""
        name = incoming.known_name or await self._name_if_needed(incoming)

        async def work(conn: AsyncConnection) -> None:
            if await replays.seen_before(conn, incoming):
                log.info("%s: message delivered again, skipped", incoming.platform)
                return
            row = await self._load(conn, incoming.platform, incoming.user_id)
            citizen = await self._reachable_again(conn, Citizen.from_row(row))
            if self._forgets(incoming):
                # Withdrawing consent is a right, not a message: the throttle never holds it.
                await withdraw(conn, self.services, citizen)
            elif await self._throttle(conn, citizen, row, incoming):
                await self._message(conn, citizen, incoming, name)

        key = _BatchKey(incoming.platform, incoming.user_id, replays.key_of(incoming))
        await self.intake.run(work, key=key)
        self.services.wake_outbox()

    async def press(
        self,
        platform: str,
        user_id: str,
        token: CallbackToken | None,
        name: NameLookup | None = None,
    ) -> bool:
        """A citizen pressed one of our buttons; False when the token is not theirs."""
        if token is None or token.action not in set(Press):
            return False
        press = Press(token.action)
        yes = bool(token.data.get("yes"))
        resolved = await name() if name is not None and press is Press.CONSENT and yes else None
        async with self.services.db.write() as conn:
            citizen = await citizens.find(conn, platform, user_id)
            if citizen is None or token.target_id != citizen.id:
                log.info("citizen %s/%s pressed a button that is not theirs", platform, user_id)
                return False
            if press is not Press.FORGET:
                citizen = await self._reachable_again(conn, citizen)  # a press reached us
            if citizen.banned and press not in (Press.MINE, Press.FORGET):
                return True
            if press is Press.FORGET:
                await withdraw(conn, self.services, citizen)  # a right: never held
            elif not await self.services.presses.answered(conn, citizen.id, self.settings.hotline):
                pass  # a flood of presses: acknowledged, not answered
            elif press is Press.CONSENT:
                await self._consent(conn, citizen, yes, resolved)
            elif press is Press.CHOOSE:
                await self._choose(conn, citizen, int(token.data["hotline_id"]))
            elif press is Press.GENERAL:
                await self._general(conn, citizen)
            else:
                await self._mine(conn, citizen)
        self.services.wake_outbox()
        return True

    # --- the state machine -------------------------------------------------------------

    @staticmethod
    def _forgets(incoming: Incoming) -> bool:
        """The words that withdraw consent («Удалить мои данные», ``/forget``), alone."""
        return said(repo.storable(incoming.text)) in FORGET_WORDS and not incoming.attachments

    async def _reachable_again(self, conn: AsyncConnection, citizen: Citizen) -> Citizen:
        """A citizen who writes to the bot (or presses its button) can be written to again:
        one marked unreachable (they had blocked the bot) is reachable once more, for
        answers, cards and alerts, and the answers that could not reach them meanwhile are
        sent again."""
        if citizen.reachable:
            return citizen
        await citizens.set_fields(conn, citizen.id, reachable=True)
        await redelivery.answers_again(conn, self.services, citizen.id)
        return replace(citizen, reachable=True)

    async def _name_if_needed(self, incoming: Incoming) -> str | None:
        """The name is looked up only for a citizen who has consented and has none yet."""
        if incoming.name is None:
            return None
        text = said(incoming.text)
        async with self.services.db.read() as conn:
            citizen = await citizens.find(conn, incoming.platform, incoming.user_id)
            if citizen is None:
                return None
            needs = citizen.consent_at is not None and not citizen.display_name
            if not needs and text in YES_WORDS and citizen.consent_at is None:
                needs = bool(await self._shown(conn, citizen))
        return await incoming.name() if needs else None

    async def _message(
        self, conn: AsyncConnection, citizen: Citizen, incoming: Incoming, name: str | None
    ) -> None:
        text = repo.storable(incoming.text).strip()
        if not shows_anything(text):
            text = ""  # a zero-width space alone: a question with nothing to read
        word = said(text)
        wanted = hotline_of(incoming.start_payload)
        if citizen.consent_at is None:
            await self._without_consent(conn, citizen, incoming, word, name, wanted)
            return
        if name and not citizen.display_name:
            await citizens.set_fields(conn, citizen.id, display_name=name)
        command = word.startswith("/") and word not in MINE_WORDS
        if citizen.banned:
            await self._while_banned(conn, citizen, incoming, text, command)
            return
        if incoming.start or command or (word in START_WORDS and not incoming.attachments):
            await self._greet(conn, citizen, wanted=wanted)
            return
        if incoming.unsupported and incoming.left_out:
            await self._left_out(conn, citizen, incoming)  # a file alone, and not kept
            return
        if incoming.unsupported:
            await self._say(conn, citizen, self.texts("citizen.text_only"))
            return
        if word in MINE_WORDS:
            await self._mine(conn, citizen)
            return
        bare = word in YES_WORDS | NO_WORDS and not incoming.attachments
        if bare and await self._nothing_asked(conn, citizen):
            await self._consent_stands(conn, citizen, yes=word in YES_WORDS)
            return
        album = incoming.album and incoming.attachments
        if album and await self._add_to_album(conn, citizen, incoming, text):
            await replays.taken(conn, incoming)
            await self._left_out(conn, citizen, incoming)
            return
        if not text and not incoming.attachments:
            await self._greet(conn, citizen, wanted=wanted)
            return
        if not incoming.attachments and await self._continue(conn, citizen, incoming, text):
            await replays.taken(conn, incoming)
            return
        if wanted is not None:
            citizen = await self._from_link(conn, citizen, wanted)
        elif (
            citizen.state == State.CHOOSE
            and word.isascii()
            and word.isdigit()
            and not incoming.attachments
        ):
            # Choosing by number, for VK clients without callback buttons.
            open_ = await self._open(conn)
            if 1 <= int(word) <= len(open_):
                # Seen again, the choice would be a question «2» (and a draft is one now).
                await replays.taken(conn, incoming)
                await self._choose(conn, citizen, open_[int(word) - 1].id)
                return
            if open_ and int(word) == len(open_) + 1 and _owed(_draft_of(citizen)):
                await replays.taken(conn, incoming)  # the press office, listed last
                await self._general(conn, citizen)
                return
        await replays.taken(conn, incoming)
        await self._question(conn, citizen, text, incoming)
        await self._left_out(conn, citizen, incoming)

    async def _from_link(self, conn: AsyncConnection, citizen: Citizen, wanted: int) -> Citizen:
        """A question in the first message from a link (VK's ``ref`` comes with it) goes to
        the link's hotline, if that is open. A question still waiting for the choice of
        hotline (a draft) is never dropped: it goes there first, or, that hotline closed,
        the new words join it and the choice is asked again."""
        draft = _draft_of(citizen)
        chosen = [h for h in await self._open(conn) if h.id == wanted]
        if draft is not None and not chosen:
            return citizen
        if draft is not None:
            await self._from_draft(conn, citizen, draft, chosen[0])
        data = {"hotline_id": wanted}
        await citizens.set_fields(conn, citizen.id, state=State.ASK, state_data=data)
        return replace(citizen, state=State.ASK, state_data=data)

    async def _left_out(self, conn: AsyncConnection, citizen: Citizen, incoming: Incoming) -> None:
        """Name the files that came with a question but could not be kept."""
        if incoming.left_out:
            names = ", ".join(f"«{name}»" for name in incoming.left_out)
            await self._say(conn, citizen, self.texts("citizen.left_out", names=names))

    async def _while_banned(
        self,
        conn: AsyncConnection,
        citizen: Citizen,
        incoming: Incoming,
        text: str,
        command: bool,
    ) -> None:
        """A banned citizen is told nothing; their questions are kept out of sight (for an
        unban), under the hotline they would have gone to. Menu words and commands are
        not questions: «Мои вопросы» still answers, the rest is ignored."""
        word = said(text)
        if word in MINE_WORDS:
            await self._mine(conn, citizen)
            return
        menu = command or incoming.start or word in START_WORDS
        if menu or incoming.unsupported or not (text or incoming.attachments):
            return
        await replays.taken(conn, incoming)
        hotline_id = await self._hotline_for(conn, citizen)
        await self._store(conn, citizen, hotline_id, text, incoming.attachments, banned=True)

    async def _hotline_for(self, conn: AsyncConnection, citizen: Citizen) -> int | None:
        """The open hotline a question goes to without asking: the one the citizen chose,
        or the only one open; None when none is open, the citizen must choose, or chose
        the press office. The one they chose having closed, never another: they choose."""
        open_ = await self._open(conn)
        chosen = citizen.state_data.get("hotline_id")
        if chosen is not None and chosen in {h.id for h in open_}:
            return int(chosen)
        if chosen is not None or citizen.state_data.get("general"):
            return None
        if _owed(_draft_of(citizen)):
            return None
        return open_[0].id if len(open_) == 1 else None

    @staticmethod
    def _closed_under(citizen: Citizen, open_: list[Hotline]) -> int | None:
        """The hotline the citizen was writing to, when it is no longer open."""
        chosen = citizen.state_data.get("hotline_id")
        if chosen is None or chosen in {h.id for h in open_}:
            return None
        return int(chosen)

    async def _without_consent(
        self,
        conn: AsyncConnection,
        citizen: Citizen,
        incoming: Incoming,
        word: str,
        name: str | None,
        wanted: int | None = None,
    ) -> None:
        """Only an answer to a consent request the citizen has seen counts as one.

        A link's hotline (``wanted``) is remembered across the consent step: the consent
        that follows takes the citizen to it.
        """
        shown = await self._shown(conn, citizen)
        if shown is None:
            return  # the request is on its way; what they write before it answers nothing
        if wanted is None:
            wanted = citizen.state_data.get("wanted")
        if shown and word in YES_WORDS:
            await self._consent(conn, citizen, True, name)
        elif shown and word in NO_WORDS:
            await self._consent(conn, citizen, False, name)
        elif citizen.state == State.REFUSED and not incoming.start:
            await self._refused(conn, citizen)
        else:
            await self._ask_consent(conn, citizen, again=shown, wanted=wanted)

    async def _shown(self, conn: AsyncConnection, citizen: Citizen) -> bool | None:
        """Has the citizen seen a consent request? None while it is still on its way."""
        if citizen.state == State.REFUSED:
            return True
        request = citizen.state_data.get("request")
        if citizen.state != State.CONSENT or request is None:
            return False
        sent = await store.get(conn, int(request))
        if sent is not None and sent.state is OutboxState.PENDING:
            return None
        return sent is not None and sent.state in SHOWN

    async def _ask_consent(
        self, conn: AsyncConnection, citizen: Citizen, again: bool, wanted: int | None = None
    ) -> None:
        url = self.settings.hotline.policy_url
        parts = [] if again else [self.texts("citizen.greeting")]
        parts.append(self.texts("citizen.consent"))
        if url:
            parts.append(self.texts("citizen.consent_policy", url=url))
        buttons: list[list[Button]] = [
            [
                await callbacks.button(
                    conn, self.texts("citizen.btn_agree"), Press.CONSENT, citizen.id, yes=True
                ),
                await callbacks.button(
                    conn,
                    self.texts("citizen.btn_disagree"),
                    Press.CONSENT,
                    citizen.id,
                    yes=False,
                ),
            ]
        ]
        if url:
            buttons.append([Button(self.texts("citizen.btn_policy"), url=url)])
        doc = from_plain("\n\n".join(parts))
        reply = for_citizen(citizen, doc, ref_type=HotlineRef.CITIZEN, buttons=buttons)
        request = await store.enqueue(conn, reply)
        data: dict[str, Any] = {"request": request}
        if wanted is not None:
            data["wanted"] = wanted
        await citizens.set_fields(conn, citizen.id, state=State.CONSENT, state_data=data)

    async def _refused(self, conn: AsyncConnection, citizen: Citizen) -> None:
        button = await callbacks.button(
            conn, self.texts("citizen.btn_agree"), Press.CONSENT, citizen.id, yes=True
        )
        await self._say(conn, citizen, self.texts("citizen.consent_refused"), [[button]])

    async def _consent(
        self, conn: AsyncConnection, citizen: Citizen, yes: bool, name: str | None
    ) -> None:
        if citizen.consent_at is not None:
            await self._consent_stands(conn, citizen, yes)
            return
        wanted = citizen.state_data.get("wanted")
        if not yes:
            # Without consent nothing personal is kept: no name, no draft (the hotline of
            # the link they came by is no one's data: an agreement later still goes there).
            await citizens.set_fields(
                conn,
                citizen.id,
                state=State.REFUSED,
                state_data={} if wanted is None else {"wanted": wanted},
                display_name=None,
                consent_at=None,
            )
            await self._refused(conn, citizen)
            return
        await citizens.set_fields(
            conn, citizen.id, consent_at=utcnow(), display_name=name, state=State.IDLE
        )
        fresh = await citizens.get(conn, citizen.id)
        assert fresh is not None
        thanks = self.texts("citizen.consent_thanks")
        await self._greet(conn, fresh, first=thanks, wanted=wanted)

    async def _consent_stands(self, conn: AsyncConnection, citizen: Citizen, yes: bool) -> None:
        """The consent request answered again after consent: a double tap, «да» typed
        twice, or the old request's «Не согласен(на)» pressed later. Nothing changes —
        a refusal there would claim nothing is kept while the citizen's data is — and the
        citizen is told that consent stands and, for a «no», how to withdraw it."""
        if yes:
            await self._say(conn, citizen, self.texts("citizen.consent_given"))
            return
        forget = await callbacks.button(
            conn, self.texts("citizen.btn_forget"), Press.FORGET, citizen.id
        )
        await self._say(conn, citizen, self.texts("citizen.consent_withdraw_how"), [[forget]])

    async def _nothing_asked(self, conn: AsyncConnection, citizen: Citizen) -> bool:
        """Has the citizen asked nothing yet? Then a bare «да»/«нет» still answers the
        consent request (typed twice, or after the button), not a hotline."""
        return not await repo.of_citizen(conn, citizen.id, limit=1)

    async def _greet(
        self,
        conn: AsyncConnection,
        citizen: Citizen,
        first: str | None = None,
        wanted: int | None = None,
    ) -> None:
        """The greeting and the open hotlines; with ``wanted`` (a link's hotline) open,
        that hotline alone, ready for the question. A question waiting for the citizen's
        choice of hotline (a draft) is never dropped: it waits on while there is a choice
        to make, and is stored once there is none."""
        open_ = await self._open(conn)
        chosen = [h for h in open_ if h.id == wanted]
        draft = _draft_of(citizen)
        if draft is not None and (chosen or not open_ or (len(open_) == 1 and not _owed(draft))):
            only = chosen or open_
            await self._from_draft(conn, citizen, draft, only[0] if only else None)
            return
        if wanted is not None and not chosen and first is None:
            first = await self._closed_greeting(conn, wanted)
        if _owed(draft):
            # Its hotline closed: the choice stands, the press office among the options.
            greeting = first if first is not None else self.texts("citizen.greeting")
            await self._ask_choice(conn, citizen, open_, greeting, general=True)
            return
        parts = [first if first is not None else self.texts("citizen.greeting")]
        mine = await self._mine_button(conn, citizen)
        forget = await callbacks.button(
            conn, self.texts("citizen.btn_forget"), Press.FORGET, citizen.id
        )
        if not open_:
            parts.append(await self._outside(conn))
            await citizens.set_fields(conn, citizen.id, state=State.IDLE, state_data={})
            await self._say(conn, citizen, "\n\n".join(parts), [[mine, forget]])
            return
        if len(open_) == 1 or chosen:
            hotline = chosen[0] if chosen else open_[0]
            parts.append(self._describe(hotline))
            parts.append(self.texts("citizen.write_question"))
            await citizens.set_fields(
                conn, citizen.id, state=State.ASK, state_data={"hotline_id": hotline.id}
            )
            await self._say(conn, citizen, "\n\n".join(parts), [[mine, forget]])
            return
        parts.append(self.texts("citizen.several_open"))
        parts.extend(f"{n}. {self._describe(h)}" for n, h in enumerate(open_, 1))
        parts.append(self.texts("citizen.choose"))
        data = {} if draft is None else {"draft": draft}
        await citizens.set_fields(conn, citizen.id, state=State.CHOOSE, state_data=data)
        rows = await self._choices(conn, citizen, open_)
        await self._say(conn, citizen, "\n\n".join(parts), [*rows, [mine, forget]])

    async def _closed_greeting(self, conn: AsyncConnection, hotline_id: int) -> str | None:
        """What to say first when a link's hotline is not open: that it closed, if it did."""
        try:
            hotline = await campaigns.get(conn, hotline_id)
        except NotFound:
            return None  # a link to no hotline (or a payload of someone's making)
        if hotline.status is HotlineStatus.CLOSED or hotline.ends_at <= utcnow():
            return self.texts("citizen.hotline_closed")
        return None

    async def _closed_named(self, conn: AsyncConnection, hotline_id: int) -> str:
        """That the hotline the citizen was writing to has closed, by its topic."""
        try:
            hotline = await campaigns.get(conn, hotline_id)
        except NotFound:
            return self.texts("citizen.hotline_closed")
        return self.texts("citizen.hotline_closed_named", topic=hotline.topic)

    def _describe(self, hotline: Hotline) -> str:
        tz = self.settings.tz
        until = hotline.ends_at.astimezone(tz).strftime("%d.%m %H:%M")
        text = self.texts("citizen.hotline_line", topic=hotline.topic, until=until)
        if hotline.description:
            text += "\n" + hotline.description
        return text

    async def _choices(
        self, conn: AsyncConnection, citizen: Citizen, open_: list[Hotline]
    ) -> list[list[Button]]:
        return [
            [await callbacks.button(conn, h.topic, Press.CHOOSE, citizen.id, hotline_id=h.id)]
            for h in open_
        ]

    async def _mine_button(self, conn: AsyncConnection, citizen: Citizen) -> Button:
        label = self.texts("citizen.btn_mine")
        return await callbacks.button(conn, label, Press.MINE, citizen.id)

    async def _outside(self, conn: AsyncConnection) -> str:
        parts = [self.texts("citizen.none_open")]
        upcoming = await campaigns.next_scheduled(conn)
        if upcoming is not None:
            when = campaigns.local(upcoming.starts_at, self.settings.tz)
            parts.append(self.texts("citizen.next_hotline", topic=upcoming.topic, when=when))
        parts.append(self.texts("citizen.formal_appeals"))
        return "\n\n".join(parts)

    async def _choose(self, conn: AsyncConnection, citizen: Citizen, hotline_id: int) -> None:
        open_ = await self._open(conn)
        hotline = next((h for h in open_ if h.id == hotline_id), None)
        draft = _draft_of(citizen)
        closed = self.texts("citizen.hotline_closed")
        if hotline is None and draft is None:
            await self._greet(conn, citizen, first=closed)
        elif hotline is None and open_:
            # The draft waits on.
            await self._ask_choice(conn, citizen, open_, closed, general=_owed(draft))
        elif hotline is None:
            await self._say(conn, citizen, closed)
            await self._from_draft(conn, citizen, draft or {}, None)
        elif draft is None:
            data = {"hotline_id": hotline.id}
            await citizens.set_fields(conn, citizen.id, state=State.ASK, state_data=data)
            await self._say(conn, citizen, self.texts("citizen.write_to", topic=hotline.topic))
        else:
            await self._from_draft(conn, citizen, draft, hotline)

    async def _general(self, conn: AsyncConnection, citizen: Citizen) -> None:
        """The press office without a hotline, chosen for a draft whose hotline closed: it
        becomes a general question, and so do the citizen's next messages until they pick
        a hotline (``/start``, a link, a button)."""
        draft = _draft_of(citizen)
        if draft is None:
            await self._greet(conn, citizen)  # an old button: nothing waits any more
            return
        await self._from_draft(conn, citizen, draft, None)
        fresh = await citizens.get(conn, citizen.id)
        data = {**(fresh.state_data if fresh is not None else {}), "general": True}
        await citizens.set_fields(conn, citizen.id, state_data=data)

    async def store_drafts(self, conn: AsyncConnection) -> int:
        """Once no hotline is open, every question still waiting for its author's choice
        of hotline (a draft) becomes a general question, as the author's next message
        would make it: the bot told them it was saved, and there is nothing left to
        choose. The planner runs this in the transaction that closes the last open
        hotline, so a draft is stored once, or (the transaction lost) not at all and
        again at the next try. How many were stored."""
        if await campaigns.open_now(conn):
            return 0
        rows = await conn.execute(
            select(citizens_table)
            .where(citizens_table.c.state == State.CHOOSE.value)
            .order_by(citizens_table.c.id)
        )
        stored = 0
        for citizen in [Citizen.from_row(row) for row in rows]:
            draft = _draft_of(citizen)
            if draft is None:
                continue
            if not citizen.banned:
                await self._say(conn, citizen, self.texts("citizen.draft_hotlines_closed"))
            await self._from_draft(conn, citizen, draft, None)
            stored += 1
        if stored:
            log.info("%d draft(s) stored as general questions: no hotline is open", stored)
        return stored

    async def _from_draft(
        self,
        conn: AsyncConnection,
        citizen: Citizen,
        draft: dict[str, Any],
        hotline: Hotline | None,
    ) -> None:
        """The waiting question becomes a question to ``hotline`` (None: a general one).

        A banned author's (banned after writing it) is kept out of sight, and they are
        told nothing, as for what they write while banned."""
        hotline_id = hotline.id if hotline is not None else None
        text = str(draft.get("text", ""))
        question = await self._store(conn, citizen, hotline_id, text, (), banned=citizen.banned)
        ids = [int(i) for i in draft.get("media", [])]
        if ids:
            await self._adopt(conn, question.id, ids)
            question = replace(question, attachments=ids)
        data: dict[str, Any] = {} if hotline_id is None else {"hotline_id": hotline_id}
        if draft.get("album"):
            # The album's late parts join the question the draft became.
            data["album"] = {"id": draft["album"], "question_id": question.id}
        state = State.IDLE if hotline is None else State.ASK
        await citizens.set_fields(conn, citizen.id, state=state, state_data=data)
        if citizen.banned:
            return
        await self._confirm(conn, citizen, question.id, general=hotline is None)
        topic = hotline.topic if hotline is not None else None
        await card_or_summary(conn, self.services, question, (citizen, topic))

    async def _question(
        self, conn: AsyncConnection, citizen: Citizen, text: str, incoming: Incoming
    ) -> None:
        attachments, album = incoming.attachments, incoming.album
        open_ = await self._open(conn)
        hotline_id = await self._hotline_for(conn, citizen)
        closed = self._closed_under(citizen, open_)
        general = bool(citizen.state_data.get("general"))
        several = len(open_) > 1 and not general
        owed = closed is not None or _owed(_draft_of(citizen))
        if hotline_id is None and open_ and (several or owed):
            await self._draft(conn, citizen, open_, text, incoming, closed)
            return
        if _draft_of(citizen) is not None:
            # Its hotlines closed but for one (or all): what they add joins it, stored now.
            draft, _ = await self._add_to_draft(conn, citizen, text, attachments, album)
            await self._from_draft(conn, citizen, draft, open_[0] if open_ else None)
            return
        question = await self._store(conn, citizen, hotline_id, text, attachments)
        data: dict[str, Any] = {}
        if hotline_id is not None:
            data["hotline_id"] = hotline_id
        elif general:
            data["general"] = True
        if album:
            data["album"] = {"id": album, "question_id": question.id}
        data.update(_mark(incoming.may_continue, question.id))
        state = State.ASK if hotline_id else State.IDLE
        if citizen.state != state or citizen.state_data != data:
            await citizens.set_fields(conn, citizen.id, state=state, state_data=data)
        await self._confirm(conn, citizen, question.id, general=hotline_id is None)
        topic = next((h.topic for h in open_ if h.id == hotline_id), None)
        await card_or_summary(conn, self.services, question, (citizen, topic))

    async def _draft(
        self,
        conn: AsyncConnection,
        citizen: Citizen,
        open_: list[Hotline],
        text: str,
        incoming: Incoming,
        closed: int | None = None,
    ) -> None:
        """With several hotlines open, a question waits in ``state_data["draft"]`` until
        the citizen picks one. What they write meanwhile joins it (text after text, photos
        after photos): the rest of an album silently, another message with the choice
        asked again. ``closed``: the hotline they were writing to closed (the draft is
        marked with it, and they are told so, first)."""
        draft, part = await self._add_to_draft(
            conn, citizen, text, incoming.attachments, incoming.album
        )
        if closed is not None:
            draft["closed"] = closed
        data = {"draft": draft, **_mark(incoming.may_continue, None)}
        await citizens.set_fields(conn, citizen.id, state=State.CHOOSE, state_data=data)
        if not part:
            first = await self._closed_named(conn, closed) if closed is not None else ""
            await self._ask_choice(conn, citizen, open_, first, general=_owed(draft))

    async def _add_to_draft(
        self,
        conn: AsyncConnection,
        citizen: Citizen,
        text: str,
        attachments: tuple[Attachment, ...],
        album: str | None,
    ) -> tuple[dict[str, Any], bool]:
        """The citizen's draft with this message added; and whether the message was the
        rest of the draft's album."""
        draft: dict[str, Any] = dict(_draft_of(citizen) or {"text": "", "media": []})
        kept = [int(i) for i in draft.get("media", [])]
        ids = await media.add_all(
            conn, MediaOwner.QUESTION_DRAFT, citizen.id, attachments, start=len(kept)
        )
        part = album is not None and draft.get("album") == album
        draft["text"] = "\n\n".join(t for t in (str(draft.get("text", "")), text) if t)
        draft["media"] = [*kept, *ids]
        if album is not None:
            draft["album"] = album
        return draft, part

    async def _ask_choice(
        self,
        conn: AsyncConnection,
        citizen: Citizen,
        open_: list[Hotline],
        first: str = "",
        general: bool = False,
    ) -> None:
        """Ask which hotline the waiting draft goes to (``first``: what to say before);
        ``general``: the press office without a hotline is offered too, last."""
        rows = await self._choices(conn, citizen, open_)
        listing = [f"{n}. {h.topic}" for n, h in enumerate(open_, 1)]
        if general:
            label = self.texts("citizen.btn_general")
            rows.append([await callbacks.button(conn, label, Press.GENERAL, citizen.id)])
            listing.append(f"{len(open_) + 1}. {label}")
        prompt = "\n".join([self.texts("citizen.choose_for_draft"), *listing])
        await self._say(conn, citizen, "\n\n".join(t for t in (first, prompt) if t), rows)

    async def _store(
        self,
        conn: AsyncConnection,
        citizen: Citizen,
        hotline_id: int | None,
        text: str,
        attachments: tuple[Attachment, ...],
        banned: bool = False,
    ) -> repo.Question:
        status = QuestionStatus.BANNED if banned else QuestionStatus.NEW
        question_id = await repo.add(
            conn, citizen_id=citizen.id, hotline_id=hotline_id, text=text, status=status
        )
        ids = await self._keep_media(conn, MediaOwner.QUESTION, question_id, attachments)
        if ids:
            await repo.set_fields(conn, question_id, attachments=ids)
        return repo.Question(
            id=question_id,
            citizen_id=citizen.id,
            hotline_id=hotline_id,
            text=text,
            attachments=ids,
            status=status,
            assigned_to=None,
            assigned_name=None,
            publishable=False,
            reject_reason=None,
            carded=False,
            created_at=utcnow(),
            answered_at=None,
        )

    async def _keep_media(
        self, conn: AsyncConnection, owner: MediaOwner, owner_id: int, items: tuple[Attachment, ...]
    ) -> list[int]:
        return await media.add_all(conn, owner, owner_id, items)

    async def _adopt(self, conn: AsyncConnection, question_id: int, ids: list[int]) -> None:
        await conn.execute(
            update(media_table)
            .where(media_table.c.id.in_(ids))
            .values(owner_type=MediaOwner.QUESTION.value, owner_id=question_id)
        )
        await repo.set_fields(conn, question_id, attachments=ids)

    async def _add_to_album(
        self, conn: AsyncConnection, citizen: Citizen, incoming: Incoming, text: str
    ) -> bool:
        """The rest of a Telegram album joins its question: its queued card, or after it;
        a caption on a later part becomes the question's text (``_add_caption``)."""
        album = citizen.state_data.get("album") or {}
        if album.get("id") != incoming.album:
            return False
        question = await repo.get(conn, int(album["question_id"]))
        if question is None:
            return False
        if text:
            await self._add_caption(conn, question, text)
        start = len(question.attachments)
        ids = await self._keep_media(conn, MediaOwner.QUESTION, question.id, incoming.attachments)
        for offset, media_id in enumerate(ids):
            await conn.execute(
                update(media_table)
                .where(media_table.c.id == media_id)
                .values(position=start + offset)
            )
        every = [*question.attachments, *ids]
        await repo.set_fields(conn, question.id, attachments=every)
        waiting = await pending.payloads(conn, HotlineRef.CARD.value, ref_id=question.id)
        for row_id, payload in waiting:
            await pending.rewrite(conn, row_id, {**payload, "media": every})
        if question.carded and not waiting:
            settings, texts = self.settings, self.texts
            await cards.enqueue_more_media(conn, settings, texts, question.id, ids)
        return True

    async def _continue(
        self, conn: AsyncConnection, citizen: Citizen, incoming: Incoming, text: str
    ) -> bool:
        """The next part of a text the citizen's app cut joins what the first part made:
        the question while no one has answered it yet, or the draft. False when this
        message continues nothing."""
        mark = _continuing(citizen)
        if mark is None:
            return False
        parts = int(mark.get("parts", 1)) + 1
        data = {k: v for k, v in citizen.state_data.items() if k != "continues"}
        if mark.get("question_id") is None:
            draft = _draft_of(citizen)
            if draft is None:
                return False
            draft["text"] = "\n".join(t for t in (str(draft.get("text", "")), text) if t)
            data["draft"] = draft
        else:
            question = await repo.get(conn, int(mark["question_id"]))
            waiting = (QuestionStatus.NEW, QuestionStatus.ASSIGNED)
            if question is None or question.status not in waiting:
                return False
            await self._add_caption(conn, question, text, between="\n")
        data.update(_mark(incoming.may_continue, mark.get("question_id"), parts))
        await citizens.set_fields(conn, citizen.id, state_data=data)
        return True

    async def _add_caption(
        self, conn: AsyncConnection, question: repo.Question, text: str, between: str = "\n\n"
    ) -> None:
        """An album's caption may be on any of its parts: on a later one it is the question's
        text all the same (after what an earlier part said), and the look-alike index and
        the card follow it. So does the next part of a text the citizen's app cut."""
        joined = repo.storable(f"{question.text}{between}{text}" if question.text else text)
        await repo.set_fields(conn, question.id, text=joined)
        if question.hotline_id is not None:
            await similar.forget(conn, [question.id])
            await similar.index(conn, question.id, question.hotline_id, joined)
        await cards.refresh(conn, self.settings, self.texts, question.id)

    async def _confirm(
        self, conn: AsyncConnection, citizen: Citizen, question_id: int, general: bool
    ) -> None:
        text = self.texts("citizen.accepted", ticket=question_id)
        if general:
            # Stored without a hotline while some are open: the citizen chose so.
            after = self.texts("citizen.general_while_open")
            if not await self._open(conn):
                after = await self._outside(conn)
            text = "\n\n".join([self.texts("citizen.accepted_general", ticket=question_id), after])
        button = await self._mine_button(conn, citizen)
        await self._say(conn, citizen, text, [[button]])

    async def _mine(self, conn: AsyncConnection, citizen: Citizen) -> None:
        found = await repo.of_citizen(conn, citizen.id)
        if not found:
            await self._say(conn, citizen, self.texts("citizen.mine_empty"))
            return
        lines = [self.texts("citizen.mine_title")]
        for q in found:
            preview = " ".join(q.text.split())
            if len(preview) > 60:
                preview = preview[:59] + "…"
            status = self.texts(f"citizen.status_{q.status.value}")
            lines.append(
                self.texts("citizen.mine_line", ticket=q.id, status=status, text=preview or "📷")
            )
        await self._say(conn, citizen, "\n".join(lines))

    async def _say(
        self,
        conn: AsyncConnection,
        citizen: Citizen,
        text: str,
        buttons: list[list[Button]] | None = None,
    ) -> None:
        doc: Document = from_plain(text)
        reply = for_citizen(citizen, doc, ref_type=HotlineRef.CITIZEN, buttons=buttons)
        await store.enqueue_later(conn, reply)

    # --- anti-abuse ---------------------------------------------------------------------

    async def _open(self, conn: AsyncConnection) -> list[Hotline]:
        cache = tx_cache(conn)
        if "open" not in cache:
            cache["open"] = await campaigns.open_now(conn)
        found: list[Hotline] = cache["open"]
        return found

    async def _prefetch(self, conn: AsyncConnection, keys: list[_BatchKey]) -> None:
        """Read a batch's citizens in one query, and which of its messages were seen in
        another; each row serves its citizen's first message."""
        await replays.prefetch(conn, (k.message for k in keys))
        rows: dict[tuple[str, str], Any] = {}
        for platform in {k.platform for k in keys}:
            ids = sorted({k.user_id for k in keys if k.platform == platform})
            found = await conn.execute(
                select(citizens_table).where(
                    citizens_table.c.platform == platform,
                    citizens_table.c.platform_user_id.in_(ids),
                )
            )
            rows.update({(platform, row.platform_user_id): row for row in found})
        tx_cache(conn)["citizens"] = rows

    async def _load(self, conn: AsyncConnection, platform: str, user_id: str) -> Any:
        """The citizen's whole row (the conversation and the throttle's counters at once).

        A row read by ``_prefetch`` is used once: a second message from the same citizen
        in the batch must see what the first one changed.
        """
        prefetched = tx_cache(conn).get("citizens", {}).pop((platform, user_id), None)
        if prefetched is not None:
            return prefetched
        query = select(citizens_table).where(
            citizens_table.c.platform == platform, citizens_table.c.platform_user_id == user_id
        )
        row = (await conn.execute(query)).first()
        if row is None:
            await citizens.get_or_create(conn, platform, user_id)
            row = (await conn.execute(query)).one()
        return row

    async def _throttle(
        self, conn: AsyncConnection, citizen: Citizen, row: Any, incoming: Incoming
    ) -> bool:
        """Count the message (``shared.throttle``); a flood gets one warning, then silence.

        An album's further parts are one message with its first part: not counted again.
        """
        now_at = throttle.Window.of_row(row)
        silenced = now_at.silenced_until is not None and utcnow() < now_at.silenced_until
        joins = self._album_taken(citizen, incoming) or self._continues(citizen, incoming)
        if not silenced and joins:
            return True
        return await self._counted(conn, citizen, now_at)

    async def _counted(
        self, conn: AsyncConnection, citizen: Citizen, now_at: throttle.Window
    ) -> bool:
        """Count one more message; False (warned once) when over the limit."""

        async def warn(minutes: int) -> None:
            await self._say(conn, citizen, self.texts("citizen.slow_down", minutes=minutes))

        return await throttle.admit(conn, citizen.id, self.settings.hotline, warn, now_at)

    @staticmethod
    def _continues(citizen: Citizen, incoming: Incoming) -> bool:
        """May this message be the next part of a text the citizen's app cut? It joins
        the first part, and counts as no further message."""
        return not incoming.attachments and _continuing(citizen) is not None

    @staticmethod
    def _album_taken(citizen: Citizen, incoming: Incoming) -> bool:
        """Is this a further part of an album whose first part the conversation took, that
        will join it: a draft takes every part, a question its photos without a caption
        (a captioned part is a question of its own, and counts)?"""
        if incoming.album is None:
            return False
        data = citizen.state_data
        draft = data.get("draft") or {}
        if draft.get("album") == incoming.album:
            return True
        question = data.get("album") or {}
        captioned = bool(repo.storable(incoming.text).strip())
        return question.get("id") == incoming.album and not captioned
