"""152-ФЗ consent counts only as an answer to the consent request the citizen was shown.

A first message «да» is not consent: the citizen has not seen what they would agree to.
They get the consent request and nothing is recorded; «да» after the request (or its
button) is consent. The request answered again once consent is given (a double tap, «да»
typed twice, its «Не согласен(на)» pressed later) changes nothing and says so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shared.storage import citizens
from shared.storage.citizens import Citizen
from shared.storage.engine import Database
from simulators.telegram import FakeTelegram
from simulators.vk import FakeVK
from simulators.waiting import wait
from tests.harness import settings_for
from tests.hotline_harness import (
    handled_updates,
    open_hotline,
    question_rows,
    tg_buttons,
    tg_text,
)
from tests.posts_harness import running_app

TG_CITIZEN = 7101
VK_CITIZEN = 300101
CONSENT_TEXT = "152-ФЗ"
THANKS = "Спасибо! Теперь"
POLICY = {"hotline": {"policy_url": "https://town.example/privacy"}}


async def citizen(db: Database, platform: str, user_id: int) -> Citizen:
    async with db.read() as conn:
        found = await citizens.find(conn, platform, str(user_id))
    assert found is not None
    return found


def tg_said(tg: FakeTelegram, needle: str) -> list[dict[str, Any]]:
    return [m for m in tg.messages(TG_CITIZEN) if needle in tg_text(m)]


def vk_said(vk: FakeVK, needle: str) -> list[dict[str, Any]]:
    return [m for m in vk.messages(VK_CITIZEN) if needle in m["message"]]


async def test_telegram_yes_as_first_message_shows_the_consent_text(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    async with running_app(settings_for(tmp_path, tg, overrides=POLICY)) as app:
        db = app.services.db
        await open_hotline(app)
        tg.add_user(TG_CITIZEN, "Анна", "Иванова")
        tg.user_message(TG_CITIZEN, text="да")
        await tg.wait_for(lambda: tg_said(tg, CONSENT_TEXT))
        assert not tg_said(tg, THANKS)
        first = await citizen(db, "telegram", TG_CITIZEN)
        assert first.consent_at is None
        assert first.display_name is None

        # «да» written after the request it answers is consent.
        tg.user_message(TG_CITIZEN, text="да")
        await tg.wait_for(lambda: tg_said(tg, THANKS))
        agreed = await citizen(db, "telegram", TG_CITIZEN)
        assert agreed.consent_at is not None
        assert agreed.display_name == "Анна Иванова"
        assert len(tg_said(tg, CONSENT_TEXT)) == 1
        assert await question_rows(db) == []


async def test_vk_yes_as_first_message_shows_the_consent_text(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    async with running_app(settings_for(tmp_path, tg, vk, overrides=POLICY)) as app:
        db = app.services.db
        await open_hotline(app)
        vk.add_user(VK_CITIZEN, "Олег", "Сидоров")
        vk.user_message(VK_CITIZEN, "да", first_name="Олег", last_name="Сидоров")
        await vk.wait_for(lambda: vk_said(vk, CONSENT_TEXT))
        assert not vk_said(vk, THANKS)
        first = await citizen(db, "vk", VK_CITIZEN)
        assert first.consent_at is None
        assert first.display_name is None
        assert not vk.calls("users.get"), "no personal data fetched without consent"

        # A client without buttons answers the request it was shown by writing «да».
        no_buttons = {"button_actions": ["text"], "keyboard": False, "inline_keyboard": False}
        vk.user_message(VK_CITIZEN, "да", client_info=no_buttons)
        await vk.wait_for(lambda: vk_said(vk, THANKS))
        agreed = await citizen(db, "vk", VK_CITIZEN)
        assert agreed.consent_at is not None
        assert agreed.display_name == "Олег Сидоров"
        assert await question_rows(db) == []


async def test_no_as_first_message_is_not_a_refusal(tmp_path: Path, tg: FakeTelegram) -> None:
    async with running_app(settings_for(tmp_path, tg, overrides=POLICY)) as app:
        await open_hotline(app)
        tg.add_user(TG_CITIZEN, "Анна", "Иванова")
        tg.user_message(TG_CITIZEN, text="нет")
        await tg.wait_for(lambda: tg_said(tg, CONSENT_TEXT))
        assert not tg_said(tg, "Без вашего согласия")


async def test_yes_before_the_request_arrived_is_not_consent(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    async with running_app(settings_for(tmp_path, tg, overrides=POLICY)) as app:
        db = app.services.db
        await open_hotline(app)
        tg.add_user(TG_CITIZEN, "Анна", "Иванова")
        # The consent request is held back (a 429 from Telegram) while «да» arrives.
        tg.fail("sendMessage", "429", chat_id=TG_CITIZEN, retry_after=5)
        tg.user_message(TG_CITIZEN, text="Здравствуйте")
        await wait(lambda: [r for r in tg.requests("sendMessage") if r["status"] == 429])
        with handled_updates() as handled:
            early = tg.user_message(TG_CITIZEN, text="да")
            await wait(lambda: handled.all([early]))
        assert (await citizen(db, "telegram", TG_CITIZEN)).consent_at is None

        await wait(lambda: tg_said(tg, CONSENT_TEXT), timeout=15)
        tg.user_message(TG_CITIZEN, text="да")
        await wait(lambda: tg_said(tg, THANKS))
        assert (await citizen(db, "telegram", TG_CITIZEN)).consent_at is not None
        assert len(tg_said(tg, CONSENT_TEXT)) == 1, "one request, answered once it was seen"


ALREADY = "Вы уже дали согласие"


async def test_yes_typed_twice_consents_once_and_stores_no_question(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    """The request says «напишите «да»»; an impatient citizen writes it twice. The second
    «да» is no hotline question: the citizen is told their consent stands."""
    async with running_app(settings_for(tmp_path, tg, overrides=POLICY)) as app:
        await open_hotline(app)
        tg.add_user(TG_CITIZEN, "Анна", "Иванова")
        tg.user_message(TG_CITIZEN, text="/start")
        await tg.wait_for(lambda: tg_said(tg, CONSENT_TEXT))
        with handled_updates() as handled:
            sent = [tg.user_message(TG_CITIZEN, text="да"), tg.user_message(TG_CITIZEN, text="Да")]
            await wait(lambda: handled.all(sent))
        await wait(lambda: tg_said(tg, ALREADY))
        assert len(tg_said(tg, THANKS)) == 1
        assert await question_rows(app.services.db) == []
        assert (await citizen(app.services.db, "telegram", TG_CITIZEN)).consent_at is not None


async def test_agree_tapped_twice_greets_once(tmp_path: Path, tg: FakeTelegram) -> None:
    async with running_app(settings_for(tmp_path, tg, overrides=POLICY)) as app:
        await open_hotline(app)
        tg.add_user(TG_CITIZEN, "Анна", "Иванова")
        tg.user_message(TG_CITIZEN, text="/start")
        prompt = (await tg.wait_for(lambda: tg_said(tg, CONSENT_TEXT)))[-1]
        agree = tg_buttons(prompt)["Согласен(на)"]
        tg.callback(TG_CITIZEN, prompt["message_id"], TG_CITIZEN, agree)
        tg.callback(TG_CITIZEN, prompt["message_id"], TG_CITIZEN, agree)
        await wait(lambda: tg_said(tg, ALREADY))
        assert len(tg_said(tg, THANKS)) == 1, "one greeting for one (double-tapped) consent"


async def test_disagree_pressed_after_consent_keeps_consent_and_says_how_to_withdraw(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    """The consent request stays in the chat with its buttons. «Не согласен(на)» pressed
    on it after the citizen agreed and asked must not claim «Мы ничего о вас не
    сохранили» while their question is kept: consent stands, and the citizen is shown
    the way to withdraw it."""
    async with running_app(settings_for(tmp_path, tg, overrides=POLICY)) as app:
        db = app.services.db
        await open_hotline(app)
        tg.add_user(TG_CITIZEN, "Анна", "Иванова")
        tg.user_message(TG_CITIZEN, text="/start")
        prompt = (await tg.wait_for(lambda: tg_said(tg, CONSENT_TEXT)))[-1]
        buttons = tg_buttons(prompt)
        tg.callback(TG_CITIZEN, prompt["message_id"], TG_CITIZEN, buttons["Согласен(на)"])
        await wait(lambda: tg_said(tg, THANKS))
        tg.user_message(TG_CITIZEN, text="У меня дома по Ленина 5 холодно")
        await wait(lambda: tg_said(tg, "Номер вопроса"))

        tg.callback(TG_CITIZEN, prompt["message_id"], TG_CITIZEN, buttons["Не согласен(на)"])
        told = (await wait(lambda: tg_said(tg, ALREADY)))[-1]
        assert "Удалить мои данные" in tg_text(told)
        assert "Удалить мои данные" in tg_buttons(told)
        assert not tg_said(tg, "Мы ничего о вас не")
        assert (await citizen(db, "telegram", TG_CITIZEN)).consent_at is not None
        assert [r["text"] for r in await question_rows(db)] == ["У меня дома по Ленина 5 холодно"]
