"""A hotline's deep link takes a citizen straight to that hotline, on every platform.

Two hotlines are open, so without the link the citizen would be asked to choose; with it
they are greeted with the link's hotline alone (after consent when it is still needed)
and their question goes there. The links come in as each platform delivers them: a
Telegram ``/start <payload>``, a VK message's ``ref``, a MAX ``bot_started`` payload.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from bots.cli import main
from shared.domain import HotlineStatus
from shared.hotlines import campaigns
from shared.hotlines.conversation_links import hotline_of, start_payload
from simulators.max import FakeMax
from simulators.telegram import FakeTelegram
from simulators.vk import FakeVK
from tests.harness import ADMIN_CHAT, CHANNEL_ID
from tests.hotline_harness import (
    HOSTILE,
    containing,
    hotline_people,
    open_hotline,
    question_rows,
    running,
    tg_buttons,
    tg_consent,
    tg_text,
    vk_buttons,
    vk_consent,
    wait,
)
from tests.test_max_hotline import consent as max_consent
from tests.test_max_hotline import labels, said
from tests.test_max_hotline import overrides as max_overrides

CITIZEN = 710001
CHOOSE = "Сейчас открыто несколько"  # the greeting that lists the open hotlines
BOT_NAME = "glashatai_test_bot"  # the bot's username in the Telegram and the MAX fakes


def test_the_payload_names_a_hotline_and_nothing_else() -> None:
    assert start_payload(12) == "hotline_12"
    assert hotline_of(start_payload(12)) == 12
    for other in [None, "", "hotline", "hotline_", "hotline_0", "hotline_12x", HOSTILE, "12"]:
        assert hotline_of(other) is None, other


async def test_telegram_start_payload_goes_to_its_hotline_after_consent(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    hotline_people(tg)
    async with running(tmp_path, tg) as app:
        await open_hotline(app, topic="Отопление")
        roads = await open_hotline(app, topic="Дороги")
        tg.add_user(CITIZEN, "Анна", "Иванова")
        tg.user_message(CITIZEN, text=f"/start {start_payload(roads)}")
        prompt = await wait(lambda: [m for m in tg.messages(CITIZEN) if tg_buttons(m)])
        agree = tg_buttons(prompt[-1])["Согласен(на)"]
        tg.callback(CITIZEN, prompt[-1]["message_id"], CITIZEN, agree)
        [greeting] = await wait(lambda: containing(tg.messages(CITIZEN), "Спасибо! Теперь"))
        assert "«Дороги»" in greeting["text"]
        assert CHOOSE not in greeting["text"]
        assert "Отопление" not in greeting["text"]
        tg.user_message(CITIZEN, text="Когда починят дорогу?")
        await wait(lambda: containing(tg.messages(CITIZEN), "Номер вопроса: №1"))
        rows = await question_rows(app.services.db)
        assert [(r["hotline_id"], r["text"]) for r in rows] == [(roads, "Когда починят дорогу?")]


async def test_telegram_link_of_a_consented_citizen_and_of_a_closed_hotline(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    hotline_people(tg)
    async with running(tmp_path, tg) as app:
        heating = await open_hotline(app, topic="Отопление")
        roads = await open_hotline(app, topic="Дороги")
        await tg_consent(tg, CITIZEN)

        async def next_reply(text: str) -> str:
            """The bot's reply to ``text``, the citizen's next message."""
            before = len(tg.messages(CITIZEN))
            tg.user_message(CITIZEN, text=text)
            found = await wait(lambda: tg.messages(CITIZEN)[before:])
            return tg_text(found[0])

        greeting = await next_reply(f"/start {start_payload(heating)}")
        assert "«Отопление» — до" in greeting
        assert CHOOSE not in greeting
        async with app.services.db.write() as conn:
            await campaigns.set_status(conn, roads, HotlineStatus.CLOSED, HotlineStatus.OPEN)
        closed = await next_reply(f"/start {start_payload(roads)}")
        assert "уже закрылась" in closed
        assert "«Отопление» — до" in closed, "the hotline still open is offered instead"
        # A payload of someone's making is only a /start.
        plain = await next_reply(f"/start {HOSTILE[:40]}")
        assert "Здравствуйте" in plain
        assert "«Отопление» — до" in plain


@pytest.fixture
def people(tg: FakeTelegram, vk: FakeVK) -> tuple[FakeTelegram, FakeVK]:
    return hotline_people(tg), vk


def vk_said(vk: FakeVK, needle: str) -> list[dict[str, Any]]:
    return [m for m in vk.messages(CITIZEN) if needle in m["message"]]


async def test_vk_ref_goes_to_its_hotline_after_consent(
    tmp_path: Path, people: tuple[FakeTelegram, FakeVK]
) -> None:
    tg, vk = people
    async with running(tmp_path, tg, vk) as app:
        await open_hotline(app, topic="Отопление")
        roads = await open_hotline(app, topic="Дороги")
        vk.add_user(CITIZEN, "Олег", "Сидоров")
        vk.user_message(CITIZEN, "Начать", payload={"command": "start"}, ref=start_payload(roads))
        prompt = await wait(lambda: [m for m in vk.messages(CITIZEN) if vk_buttons(m)])
        vk.message_event(CITIZEN, vk_buttons(prompt[-1])["Согласен(на)"])
        [greeting] = await wait(lambda: vk_said(vk, "Спасибо! Теперь"))
        assert "«Дороги»" in greeting["message"]
        assert CHOOSE not in greeting["message"]
        vk.user_message(CITIZEN, "Когда починят дорогу?")
        await wait(lambda: vk_said(vk, "Номер вопроса: №1"))
        rows = await question_rows(app.services.db)
        assert [r["hotline_id"] for r in rows] == [roads]


async def test_vk_question_in_the_first_message_from_a_link_goes_to_its_hotline(
    tmp_path: Path, people: tuple[FakeTelegram, FakeVK]
) -> None:
    tg, vk = people
    async with running(tmp_path, tg, vk) as app:
        await open_hotline(app, topic="Отопление")
        roads = await open_hotline(app, topic="Дороги")
        await vk_consent(vk, CITIZEN)
        vk.user_message(CITIZEN, "Где ремонт дороги?", ref=start_payload(roads))
        await wait(lambda: vk_said(vk, "Номер вопроса: №1"))
        assert not vk_said(vk, "Выберите, на какую"), "no choice asked: the link chose"
        rows = await question_rows(app.services.db)
        assert [(r["hotline_id"], r["text"]) for r in rows] == [(roads, "Где ремонт дороги?")]


async def test_max_payload_is_kept_across_a_refusal_and_the_consent(
    tmp_path: Path, tg: FakeTelegram, max: FakeMax
) -> None:
    hotline_people(tg)
    async with running(tmp_path, tg, overrides=max_overrides(max)) as app:
        await open_hotline(app, topic="Отопление")
        roads = await open_hotline(app, topic="Дороги")
        max.bot_started(CITIZEN, payload=start_payload(roads), first_name="Ольга")
        prompt = await wait(lambda: said(max, "152-ФЗ", CITIZEN))
        assert "Не согласен(на)" in labels(prompt[-1])
        max.press(CITIZEN, "Не согласен(на)")
        refused = await wait(
            lambda: [m for m in max.dialog_messages(CITIZEN) if len(labels(m)) == 1]
        )
        assert labels(refused[-1]) == ["Согласен(на)"]
        max.press(CITIZEN, "Согласен(на)")
        [greeting] = await wait(lambda: said(max, "Спасибо! Теперь", CITIZEN))
        assert "«Дороги»" in greeting["text"]
        assert CHOOSE not in greeting["text"]
        max.user_message(CITIZEN, "Когда починят дорогу?")
        await wait(lambda: said(max, "Номер вопроса: №1", CITIZEN))
        rows = await question_rows(app.services.db)
        assert [r["hotline_id"] for r in rows] == [roads]


async def test_max_start_without_a_hotline_payload_still_lists_the_hotlines(
    tmp_path: Path, tg: FakeTelegram, max: FakeMax
) -> None:
    hotline_people(tg)
    async with running(tmp_path, tg, overrides=max_overrides(max)) as app:
        await open_hotline(app, topic="Отопление")
        await open_hotline(app, topic="Дороги")
        await max_consent(max, CITIZEN)  # started with the payload "hotline": no hotline
        [greeting] = await wait(lambda: said(max, "Спасибо! Теперь", CITIZEN))
        assert CHOOSE in greeting["text"]


def _query(url: str, key: str) -> str:
    return parse_qs(urlsplit(url).query)[key][0]


async def test_the_admin_chat_gets_the_links_when_a_hotline_opens(
    tmp_path: Path, people: tuple[FakeTelegram, FakeVK], max: FakeMax
) -> None:
    """Each configured platform's link; a citizen who follows one lands on the hotline."""
    tg, vk = people
    overrides = {**max_overrides(max)}
    async with running(tmp_path, tg, vk, overrides=overrides) as app:
        await open_hotline(app, topic="Отопление")
        roads = await open_hotline(app, topic="Дороги")
        [note] = await wait(lambda: containing(tg.messages(ADMIN_CHAT), f"№{roads} «Дороги»"))
        lines = tg_text(note).splitlines()
        links = dict(line.split(": ", 1) for line in lines[1:])
        payload = start_payload(roads)
        assert links == {
            "Telegram": f"https://t.me/{BOT_NAME}?start={payload}",
            "VK": f"https://vk.me/club{vk.group_id}?ref={payload}",
            "MAX": f"https://max.ru/{BOT_NAME}?start={payload}",
        }
        # The public announcement carries them too, on the channel and the wall.
        announced = await wait(lambda: containing(tg.messages(CHANNEL_ID), "«Дороги»"))
        assert all(url in tg_text(announced[0]) for url in links.values())
        wall = await wait(lambda: [p for p in vk.wall_posts() if "«Дороги»" in p["message"]])
        assert links["VK"] in wall[0]["message"]
        max.bot_started(CITIZEN, payload=_query(links["MAX"], "start"), first_name="Ольга")
        await wait(lambda: said(max, "152-ФЗ", CITIZEN))
        max.press(CITIZEN, "Согласен(на)")
        [greeting] = await wait(lambda: said(max, "Спасибо! Теперь", CITIZEN))
        assert "«Дороги»" in greeting["text"]
        assert CHOOSE not in greeting["text"]


def test_hotline_show_prints_the_links(
    tmp_path: Path,
    tg: FakeTelegram,
    vk: FakeVK,
    max: FakeMax,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    env = {
        "DATABASE__URL": f"sqlite+aiosqlite:///{tmp_path}/glashatai.db",
        "TELEGRAM__TOKEN": tg.token,
        "TELEGRAM__API_BASE": tg.base_url,
        "VK__GROUP_ID": str(vk.group_id),
        "VK__GROUP_TOKEN": vk.group_token,
        "MAX__TOKEN": max.token,
        "MAX__API_BASE": max.base_url,
    }
    for key, value in env.items():
        monkeypatch.setenv(f"GLASHATAI_{key}", value)
    create = ["hotline", "create", "--topic", "Дороги", "--start", "2099-12-01 10:00"]
    assert main([*create, "--end", "2099-12-01 12:00"]) == 0
    capsys.readouterr()
    assert main(["hotline", "show", "1"]) == 0
    out = capsys.readouterr().out
    assert "№1 «Дороги» — запланирована" in out
    assert f"Telegram: https://t.me/{BOT_NAME}?start=hotline_1" in out
    assert f"VK: https://vk.me/club{vk.group_id}?ref=hotline_1" in out
    assert f"MAX: https://max.ru/{BOT_NAME}?start=hotline_1" in out
    assert main(["hotline", "show", "7"]) != 0
