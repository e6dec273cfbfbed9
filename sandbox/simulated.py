"""The three simulators, started in this process and prepared as the office's world.

The sandbox has no accounts, so it makes the world a real office would have: a Telegram
admin supergroup with a moderator and the office channel, a VK community whose wall and
messages are open, a MAX channel where the bot is an admin, and citizens on each platform.
Limits stay on: the sandbox is a rehearsal of production, not a relaxed copy of it.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from sandbox.world import Person, World
from simulators.max import FakeMax
from simulators.telegram import FakeTelegram
from simulators.vk import FakeVK

HOST = "127.0.0.1"
ADMIN_CHAT_ID = -1001000000001
CHANNEL_ID = -1001000000002
VK_GROUP_ID = 229000001
MAX_CHANNEL_ID = -70000000000001
MODERATOR = Person("telegram", 5001, "Мария Соколова")

# The phones the page shows: a few citizens on each platform.
PHONES: tuple[Person, ...] = (
    Person("telegram", 7001, "Анна Иванова"),
    Person("telegram", 7002, "Пётр Смирнов"),
    Person("vk", 300001, "Олег Сидоров"),
    Person("vk", 300002, "Елена Кузнецова"),
    Person("max", 800001, "Ольга Попова"),
    Person("max", 800002, "Игорь Васильев"),
)

# The rehearsal's citizens (sandbox.scenario): a dozen others, four on each platform, so the
# scenario never speaks through a phone a person on the page is using.
SCENARIO_CITIZENS: tuple[Person, ...] = (
    Person("telegram", 7101, "Светлана Морозова"),
    Person("telegram", 7102, "Дмитрий Волков"),
    Person("telegram", 7103, "Наталья Лебедева"),
    Person("telegram", 7104, "Алексей Козлов"),
    Person("vk", 300101, "Татьяна Новикова"),
    Person("vk", 300102, "Сергей Морозов"),
    Person("vk", 300103, "Ирина Павлова"),
    Person("vk", 300104, "Николай Семёнов"),
    Person("max", 800101, "Людмила Голубева"),
    Person("max", 800102, "Андрей Виноградов"),
    Person("max", 800103, "Галина Богданова"),
    Person("max", 800104, "Виктор Фёдоров"),
)


def split_name(person: Person) -> tuple[str, str]:
    first, _, last = person.name.partition(" ")
    return first, last


@dataclass
class Simulators:
    """The running simulators and the world prepared in them."""

    telegram: FakeTelegram
    vk: FakeVK
    max: FakeMax
    world: World

    @classmethod
    def start(cls) -> Simulators:
        """Start the three servers on free local ports and prepare the office's world."""
        telegram = FakeTelegram()
        vk = FakeVK(group_id=VK_GROUP_ID, group_name="Администрация города", host=HOST)
        max_fake = FakeMax(channel_id=MAX_CHANNEL_ID, channel_title="Администрация города")
        started: list[FakeTelegram | FakeVK | FakeMax] = []
        try:
            telegram_url = telegram.start(port=0, host=HOST)
            started.append(telegram)
            vk_url = vk.start()
            started.append(vk)
            max_url = max_fake.start()
            started.append(max_fake)
        except BaseException:
            for fake in reversed(started):
                with contextlib.suppress(Exception):
                    fake.stop()
            raise
        world = World(
            telegram_url=telegram_url,
            vk_url=vk_url,
            max_url=max_url,
            admin_chat_id=ADMIN_CHAT_ID,
            moderator=MODERATOR,
            channel_id=CHANNEL_ID,
            vk_group_id=VK_GROUP_ID,
            max_channel_id=MAX_CHANNEL_ID,
            citizens=PHONES,
        )
        sims = cls(telegram, vk, max_fake, world)
        sims._prepare()
        return sims

    def _prepare(self) -> None:
        tg = self.telegram
        tg.add_chat(ADMIN_CHAT_ID, "supergroup", title="Пресс-служба: модерация")
        tg.add_chat(CHANNEL_ID, "channel", title="Новости города", username="town_news_sandbox")
        first, last = split_name(MODERATOR)
        tg.add_user(MODERATOR.user_id, first, last)
        tg.set_admins(ADMIN_CHAT_ID, [MODERATOR.user_id, tg.bot_id], owner_id=MODERATOR.user_id)
        tg.set_admins(CHANNEL_ID, [tg.bot_id], owner_id=MODERATOR.user_id)
        self.vk.set_user_admin(3)  # the user token's owner administers the community
        self.max.set_channel_rights(True)
        for person in (*PHONES, *SCENARIO_CITIZENS):
            self.add_citizen(person)

    def add_citizen(self, person: Person) -> None:
        """Register a person on their platform (the bot hears their name from it)."""
        first, last = split_name(person)
        if person.platform == "telegram":
            self.telegram.add_user(person.user_id, first, last or None)
        elif person.platform == "vk":
            self.vk.add_user(person.user_id, first, last)
        elif person.platform == "max":
            self.max.add_user(person.user_id, first, last or None)
        else:
            raise ValueError(f"unknown platform {person.platform!r}")

    def stop(self) -> None:
        """Stop the servers (pending long polls are woken and answered)."""
        for fake in (self.max, self.vk, self.telegram):
            with contextlib.suppress(Exception):
                fake.stop()
