"""The rehearsal: a hotline opens and a dozen simulated citizens ask at a human pace.

The moderator opens the hotline the way a moderator does (``/hotline`` and its short
dialogue in the admin chat); citizens on all three platforms open the bot, give their
consent and ask realistic questions, seconds apart, through the simulators (the same path
a real update takes). The people on the page then practise answering the cards. Runs as
tasks on the sandbox's loop: starting returns at once, stopping cancels the citizens.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from dataclasses import dataclass, replace
from datetime import timedelta

from bots.app import App
from sandbox.citizens import Hands, hands
from sandbox.simulated import SCENARIO_CITIZENS, Simulators
from sandbox.world import Person, ScenarioPhase, ScenarioState
from shared.clock import utcnow
from shared.domain import HotlineStatus
from shared.hotlines import campaigns
from simulators.waiting import wait

log = logging.getLogger("glashatai.sandbox")

TOPIC = "Зима в городе: снег, тепло, дороги"
DESCRIPTION = "Отвечаем на вопросы об уборке снега, отоплении и ремонте дорог."
HOURS_OPEN = 3
# How long a citizen waits for the bot before giving up (the outbox paces private chats).
PATIENCE = 90.0

QUESTIONS: tuple[str, ...] = (
    "Когда уберут снег во дворе дома 14 на улице Ленина? Третий день не можем выехать.",
    "В квартире +16, батареи еле тёплые. Куда обращаться, если управляющая компания молчит?",
    "На перекрёстке Мира и Кирова огромная яма, уже два колеса пробили. Когда отремонтируют?",
    "Почему автобус № 12 по утрам ходит раз в сорок минут? Дети опаздывают в школу.",
    "Будут ли посыпать тротуары песком у поликлиники на Советской? Очень скользко.",
    "Когда включат уличное освещение на улице Садовой? Вечером идти страшно.",
    "Кто отвечает за сосульки на крыше дома 7 по Школьной? Висят прямо над входом.",
    "Можно ли узнать график вывоза снега с нашей улицы Гагарина?",
    "Во дворе после грейдера остался вал снега высотой с метр, машину не достать. Кто уберёт?",
    "В подъезде третий день нет горячей воды. Это плановые работы или авария?",
    "Планируется ли в этом году ремонт дороги на улице Островского?",
    "Куда жаловаться, если снег с дороги сгребают на детскую площадку?",
    "Откроют ли каток в парке Победы к Новому году?",
    "У нас в доме на Пушкина, 3 отключили отопление без предупреждения. Когда дадут?",
    "Почему не чистят остановку «Рынок»? Люди стоят по колено в снегу.",
    "Будет ли перерасчёт за отопление, если в квартире холодно весь ноябрь?",
)


CITIZEN_TASK = "sandbox-citizen: "  # the name of each simulated citizen's task, then theirs


@dataclass(frozen=True)
class Pace:
    """How human the citizens are: seconds between their actions (drawn at random)."""

    arrive: tuple[float, float] = (2.0, 6.0)  # between one citizen coming and the next
    read: tuple[float, float] = (1.0, 3.0)  # reading the bot's message before acting
    per_char: float = 0.05  # typing
    typing: tuple[float, float] = (2.0, 8.0)  # bounds of a message's typing time

    def scaled(self, factor: float) -> Pace:
        """The same pace ``factor`` times slower (0: no pauses at all)."""
        return replace(
            self,
            arrive=(self.arrive[0] * factor, self.arrive[1] * factor),
            read=(self.read[0] * factor, self.read[1] * factor),
            per_char=self.per_char * factor,
            typing=(self.typing[0] * factor, self.typing[1] * factor),
        )


class Scenario:
    """Start and stop the rehearsal; ``state()`` says where it is (for the page)."""

    def __init__(
        self,
        app: App,
        sims: Simulators,
        *,
        citizens: tuple[Person, ...] = SCENARIO_CITIZENS,
        pace: Pace | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.app, self.sims, self.citizens = app, sims, citizens
        self.pace = pace or Pace()
        self.rng = rng or random.Random()
        self._task: asyncio.Task[None] | None = None
        self._state = ScenarioState(ScenarioPhase.IDLE, None, len(citizens), 0, None)

    def state(self) -> ScenarioState:
        return self._state

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        """Begin (returns at once); a second start while it plays does nothing."""
        if self.running:
            return
        self._state = ScenarioState(ScenarioPhase.OPENING, None, len(self.citizens), 0, None)
        self._task = asyncio.create_task(self._play(), name="sandbox-scenario")

    async def stop(self) -> None:
        """Stop the citizens where they are; what they already sent stays sent."""
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._state.phase in (ScenarioPhase.OPENING, ScenarioPhase.RUNNING):
            self._state = replace(self._state, phase=ScenarioPhase.IDLE)

    async def _play(self) -> None:
        try:
            topic = await self._open_hotline()
            self._state = replace(self._state, phase=ScenarioPhase.RUNNING, hotline_title=topic)
            questions = self.rng.sample(QUESTIONS, k=min(len(QUESTIONS), len(self.citizens)))
            tasks: list[asyncio.Task[bool]] = []
            try:  # a stop during an arrival pause cancels the citizens already writing too
                for person, question in zip(self.citizens, questions, strict=False):
                    citizen = self._citizen(person, question)
                    tasks.append(asyncio.create_task(citizen, name=f"{CITIZEN_TASK}{person.name}"))
                    await self._pause(self.pace.arrive)
                done = await asyncio.gather(*tasks)
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
            failed = done.count(False)
            error = None if not failed else f"{failed} citizens got no answer from the bot"
            self._state = replace(self._state, phase=ScenarioPhase.DONE, error=error)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("sandbox scenario failed")
            self._state = replace(self._state, phase=ScenarioPhase.FAILED, error=str(exc))

    async def _pause(self, bounds: tuple[float, float]) -> None:
        """A person's pause: part of the rehearsal's behaviour, not synchronisation."""
        seconds = self.rng.uniform(*bounds)
        if seconds > 0:
            await asyncio.sleep(seconds)

    async def _typing(self, text: str) -> None:
        low, high = self.pace.typing
        seconds = min(max(len(text) * self.pace.per_char, low), high)
        if seconds > 0:
            await asyncio.sleep(seconds)

    # --- the moderator ---------------------------------------------------------------

    async def _open_hotline(self) -> str:
        """The open hotline citizens will ask in: one already open, else the moderator's.

        A run stopped after the moderator created it (not yet opened by the planner) left
        it scheduled: it is waited for, not created twice.
        """
        async with self.app.services.db.read() as conn:
            already = await campaigns.open_now(conn)
            ours = [
                h for h in await campaigns.listing(conn, include_closed=False) if h.topic == TOPIC
            ]
        if already:
            return already[0].topic
        if not ours:
            await self._moderator_creates()
        return await wait(self._opened, timeout=PATIENCE, interval=0.2)

    async def _moderator_creates(self) -> None:
        """``/hotline`` and its dialogue in the admin chat, answered as a moderator types."""
        tz, texts = self.app.settings.tz, self.app.services.texts
        now = utcnow().astimezone(tz)
        answers = [
            ("/hotline", texts("hotline.ask_topic")),
            (TOPIC, texts("hotline.ask_description")),
            (DESCRIPTION, texts("hotline.ask_start")),
            (now.strftime("%Y-%m-%d %H:%M"), texts("hotline.ask_end")),
        ]
        for text, prompt in answers:
            await self._moderator_answers(text, prompt)
        end = now + timedelta(hours=HOURS_OPEN)
        await self._moderator_says(end.strftime("%Y-%m-%d %H:%M"))

    async def _opened(self) -> str:
        """The topic once the planner has opened the moderator's hotline ("" until then)."""
        async with self.app.services.db.read() as conn:
            found = [h for h in await campaigns.open_now(conn) if h.topic == TOPIC]
        if found and found[0].status is HotlineStatus.OPEN:
            return found[0].topic
        return ""

    async def _moderator_answers(self, text: str, prompt: str) -> None:
        """Say ``text`` in the admin chat and wait for the bot's next ``prompt`` there."""
        seen = self._admin_chat_count(prompt)
        await self._moderator_says(text)
        await wait(lambda: self._admin_chat_count(prompt) > seen, timeout=PATIENCE)
        await self._pause(self.pace.read)

    async def _moderator_says(self, text: str) -> None:
        await self._typing(text)
        world = self.sims.world
        self.sims.telegram.user_message(world.moderator.user_id, world.admin_chat_id, text=text)

    def _admin_chat_count(self, text: str) -> int:
        chat = self.sims.world.admin_chat_id
        return sum(1 for m in self.sims.telegram.messages(chat) if m.get("text") == text)

    # --- the citizens ----------------------------------------------------------------

    async def _citizen(self, person: Person, question: str) -> bool:
        """One citizen's visit: open the bot, consent (once), ask; False if the bot fell silent."""
        texts = self.app.services.texts
        thanks = texts("citizen.consent_thanks")
        accepted = texts("citizen.accepted", ticket="\0").split("\0")[0]
        phone = hands(self.sims, person)
        try:
            if not self._said(phone, thanks):
                phone.start()
                await wait(lambda: phone.agree() if self._asked_consent(phone) else False, PATIENCE)
                await wait(lambda: self._said(phone, thanks), PATIENCE)
                await self._pause(self.pace.read)
            before = sum(accepted in t for t in phone.read())
            await self._typing(question)
            phone.write(question)
            self._state = replace(self._state, asked=self._state.asked + 1)
            await wait(lambda: sum(accepted in t for t in phone.read()) > before, PATIENCE)
        except TimeoutError as exc:
            log.warning(
                "sandbox: %s (%s) heard nothing back: %s", person.name, person.platform, exc
            )
            return False
        return True

    def _asked_consent(self, phone: Hands) -> bool:
        request = self.app.services.texts("citizen.consent")[:40]
        return any(request in text for text in phone.read())

    @staticmethod
    def _said(phone: Hands, needle: str) -> bool:
        return any(needle in text for text in phone.read())
