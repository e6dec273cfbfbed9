"""A moderator's reply with Telegram formatting: a link hidden behind words («на сайте»
linked to the page) and bold reach every citizen, each on their platform's terms —
Telegram and MAX as a link, VK (plain text) with the address written out. What is kept
(the answer's text, which the card, the digest and the public pages read) has the address
written out too, so no address is lost; a correction and a group answer carry it alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shared.hotlines import questions
from simulators.max import FakeMax
from simulators.max.state import BOT_USER_ID
from simulators.telegram import FakeTelegram
from simulators.vk import FakeVK
from tests.harness import ADMIN_CHAT, MODERATOR
from tests.hotline_harness import (
    card_for,
    card_recorded,
    containing,
    fast_overrides,
    hotline_people,
    open_hotline,
    running,
    tg_buttons,
    tg_consent,
    tg_text,
    vk_consent,
    wait,
)

TG_CITIZEN, VK_CITIZEN, MAX_CITIZEN = 400001, 500001, 700001
URL = "https://town.example/grafik"
NEW_URL = "https://town.example/grafik-2"
TEXT = "График — на сайте. Важно: воду дадут к вечеру."
SHOWN = "График — на сайте"  # the words every platform shows (VK adds the address after)
# «на сайте» is a link, «Важно:» bold (offsets and lengths in UTF-16 units).
ENTITIES = [
    {"type": "text_link", "offset": 11, "length": 6, "url": URL},
    {"type": "bold", "offset": 19, "length": 6},
]
WRITTEN_OUT = f"на сайте ({URL})"


@pytest.fixture
def tg(tg: FakeTelegram) -> FakeTelegram:
    return hotline_people(tg)


def with_max(fake: FakeMax, database_url: str) -> dict[str, Any]:
    return fast_overrides(
        database={"url": database_url},
        max={
            "token": fake.token,
            "api_base": fake.base_url,
            "channel_id": fake.channel_id,
            "request_timeout": 3,
            "longpoll_timeout": 1,
        },
    )


def max_said(fake: FakeMax, user: int, needle: str) -> list[dict[str, Any]]:
    return [
        m
        for m in fake.dialog_messages(user)
        if m["sender_id"] == BOT_USER_ID and needle in (m.get("text") or "")
    ]


async def max_consent(fake: FakeMax, user: int) -> None:
    fake.bot_started(user, payload="hotline", first_name="Ольга", last_name="Смирнова")
    await wait(lambda: max_said(fake, user, "152-ФЗ"))
    fake.press(user, "Согласен(на)")
    await wait(lambda: max_said(fake, user, "Спасибо! Теперь"))


def tg_links(message: dict[str, Any]) -> list[str]:
    return [e["url"] for e in message.get("entities") or [] if e["type"] == "text_link"]


def tg_bold(message: dict[str, Any]) -> list[str]:
    text = tg_text(message).encode("utf-16-le")
    return [
        text[e["offset"] * 2 : (e["offset"] + e["length"]) * 2].decode("utf-16-le")
        for e in message.get("entities") or []
        if e["type"] == "bold"
    ]


async def test_a_hidden_link_reaches_citizens_on_every_platform_and_is_kept_written_out(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK, max: FakeMax, database_url: str
) -> None:
    async with running(tmp_path, tg, vk, overrides=with_max(max, database_url)) as app:
        await open_hotline(app)
        await tg_consent(tg, TG_CITIZEN)
        await vk_consent(vk, VK_CITIZEN)
        await max_consent(max, MAX_CITIZEN)
        tg.user_message(TG_CITIZEN, text="Где график отключений воды?")
        vk.user_message(VK_CITIZEN, "Где посмотреть расписание автобусов?")
        max.user_message(MAX_CITIZEN, "Куда жаловаться на бродячих собак?")
        shown = [await wait(lambda t=t: card_for(tg, t)) for t in (1, 2, 3)]
        for card in shown:
            await wait(lambda c=card: card_recorded(app, c["message_id"]))
            tg.user_message(
                MODERATOR,
                ADMIN_CHAT,
                text=TEXT,
                entities=ENTITIES,
                reply_to_message_id=card["message_id"],
            )

        on_tg = (await wait(lambda: containing(tg.messages(TG_CITIZEN), SHOWN)))[-1]
        assert tg_links(on_tg) == [URL], on_tg
        assert "Важно:" in tg_bold(on_tg), on_tg
        on_vk = await wait(lambda: [m for m in vk.messages(VK_CITIZEN) if SHOWN in m["message"]])
        assert WRITTEN_OUT in on_vk[-1]["message"], on_vk[-1]
        on_max = (await wait(lambda: max_said(max, MAX_CITIZEN, SHOWN)))[-1]
        max_links = [m.get("url") for m in on_max.get("markup") or []]
        assert URL in max_links, on_max

        async with app.services.db.read() as conn:
            kept = [a.text for q in (1, 2, 3) for a in await questions.answers_of(conn, q)]
        assert kept == [f"График — {WRITTEN_OUT}. Важно: воду дадут к вечеру."] * 3
        # The card shows what was answered from the kept text: the address is on it.
        await wait(lambda: WRITTEN_OUT in tg_text(tg.message(ADMIN_CHAT, shown[0]["message_id"])))


SIMILAR = [
    (TG_CITIZEN, "Когда включат отопление в доме Советская 12?"),
    (TG_CITIZEN + 1, "советская 12 отопления нет уже неделю"),
]


async def test_a_group_answer_and_its_correction_carry_the_link_to_each_citizen(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    """«Ответить всем» sends the linked reply to each of the group; the moderator then
    fixes the address by editing the reply, and each gets the new one."""
    async with running(tmp_path, tg) as app:
        await open_hotline(app)
        for n, (user, question) in enumerate(SIMILAR, 1):
            await tg_consent(tg, user, name=f"Житель{n}")
            tg.user_message(user, text=question)
            card = await wait(lambda t=n: card_for(tg, t))
            await wait(lambda c=card: card_recorded(app, c["message_id"]))
        last = await wait(
            lambda: (
                (c := card_for(tg, 2))
                and any(k.startswith("Ответить всем") for k in tg_buttons(c))
                and c
            )
        )
        everyone = next(k for k in tg_buttons(last) if k.startswith("Ответить всем"))
        tg.callback(MODERATOR, last["message_id"], ADMIN_CHAT, tg_buttons(last)[everyone])
        await wait(
            lambda: "получат все" in tg_text(tg.message(ADMIN_CHAT, last["message_id"]) or {})
        )

        reply = tg.user_message(
            MODERATOR,
            ADMIN_CHAT,
            text=TEXT,
            entities=ENTITIES,
            reply_to_message_id=last["message_id"],
        )
        for user, _ in SIMILAR:
            got = (await wait(lambda u=user: containing(tg.messages(u), SHOWN)))[-1]
            assert tg_links(got) == [URL], got

        moved = [{**ENTITIES[0], "url": NEW_URL}, ENTITIES[1]]
        tg.edit_user_message(
            MODERATOR, reply["message"]["message_id"], ADMIN_CHAT, text=TEXT, entities=moved
        )
        for user, _ in SIMILAR:
            fixed = await wait(
                lambda u=user: [m for m in tg.messages(u) if tg_links(m) == [NEW_URL]]
            )
            assert "Уточнение" in tg_text(fixed[-1]), fixed[-1]
