"""/alert in the admin chat: the dialogue, the preview's figures per platform, the explicit
confirmation, the live status message and its summary; /alert_cancel; outsiders ignored."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from shared.alerts import service
from shared.alerts.model import AlertState
from shared.storage.schema import alerts
from simulators.telegram import FakeTelegram, make_png
from simulators.vk import FakeVK
from tests.alerts_harness import adds_up, subscribers
from tests.harness import ADMIN_CHAT, MODERATOR
from tests.hotline_harness import (
    STRANGER,
    containing,
    hotline_people,
    running,
    tg_buttons,
    tg_text,
    wait,
)

TG_PEOPLE = [7101, 7102, 7103]
VK_PEOPLE = [400101, 400102]


def admin(tg: FakeTelegram, needle: str) -> list[dict]:
    return containing(tg.messages(ADMIN_CHAT), needle)


async def say(tg: FakeTelegram, text: str, then: str, times: int = 1) -> None:
    """The moderator's message in the dialogue; returns once the bot has said ``then``
    (``times`` times in all: a question asked again)."""
    tg.user_message(MODERATOR, ADMIN_CHAT, text=text)
    await wait(lambda: len(admin(tg, then)) >= times)


async def test_alert_dialogue_preview_confirm_status(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    hotline_people(tg)
    for user_id in TG_PEOPLE:
        tg.add_user(user_id, "Житель")
    for user_id in VK_PEOPLE:
        vk.add_user(user_id, "Житель", "Города")
    async with running(tmp_path, tg, vk) as app:
        await subscribers(app.services, "telegram", TG_PEOPLE)
        await subscribers(app.services, "vk", VK_PEOPLE)
        await subscribers(app.services, "telegram", [7199], topic="news")
        tg.user_message(STRANGER, ADMIN_CHAT, text="/alert")
        tg.user_message(MODERATOR, ADMIN_CHAT, text="/alert")
        await wait(lambda: admin(tg, "Выберите тему"))
        assert len(admin(tg, "Выберите тему")) == 1, "an outsider's /alert is ignored"
        tg.user_message(MODERATOR, ADMIN_CHAT, text="1")
        await wait(lambda: admin(tg, "Напишите текст оповещения"))
        tg.user_message(MODERATOR, ADMIN_CHAT, text="Ураган: не выходите из дома до 18:00.")
        await wait(lambda: admin(tg, "Пришлите фото"))
        tg.user_message(MODERATOR, ADMIN_CHAT, photo=make_png(30, 30))
        await wait(lambda: admin(tg, "Срочное оповещение?"))
        tg.user_message(MODERATOR, ADMIN_CHAT, text="да")
        preview = (await wait(lambda: admin(tg, "Предпросмотр оповещения")))[-1]
        text = tg_text(preview)
        assert "Получат 5: Telegram — 3, ВКонтакте — 2" in text
        assert "(срочно)" in text
        assert "С фото." in text
        assert not [m for m in tg.messages(TG_PEOPLE[0])], "nothing is sent before «Отправить»"
        tg.callback(MODERATOR, preview["message_id"], ADMIN_CHAT, tg_buttons(preview)["Отправить"])
        for user_id in TG_PEOPLE:
            notice = (await wait(lambda u=user_id: containing(tg.messages(u), "Ураган")))[-1]
            assert notice.get("photo")
            assert "Срочно" in tg_text(notice)
        for user_id in VK_PEOPLE:
            await wait(lambda u=user_id: [m for m in vk.messages(u) if "Ураган" in m["message"]])
        assert not tg.messages(7199), "another topic's subscriber gets nothing"
        assert app.scheduler is not None
        await app.scheduler.sync()
        summary = (await wait(lambda: admin(tg, "разослано: доставлено"), timeout=30))[-1]
        assert "доставлено 5 из 5" in tg_text(summary)
        status = admin(tg, "Оповещение №1 «Экстренные")[0]
        shown = tg.message(ADMIN_CHAT, status["message_id"])
        assert shown is not None
        assert "отправлено 5 из 5" in tg_text(shown), "the status message was edited"
        alert, figures = await service.status(app.services, 1)
        assert alert.state is AlertState.DONE
        assert adds_up(figures)
        edits = [r for r in tg.requests("editMessageText") if r["ok"]]
        texts = [r["params"].get("text") for r in edits]
        assert len(texts) == len(set(texts)), "no edit that changes nothing"


async def test_discarded_preview_sends_nothing(tmp_path: Path, tg: FakeTelegram) -> None:
    hotline_people(tg)
    tg.add_user(TG_PEOPLE[0], "Житель")
    async with running(tmp_path, tg) as app:
        await subscribers(app.services, "telegram", TG_PEOPLE[:1])
        await say(tg, "/alert", "Выберите тему")
        await say(tg, "Экстренные сообщения: ЧС, отключения", "Напишите текст оповещения")
        await say(tg, "Проверка", "Пришлите фото")
        await say(tg, "-", "Срочное оповещение?")
        tg.user_message(MODERATOR, ADMIN_CHAT, text="нет")
        preview = (await wait(lambda: admin(tg, "Предпросмотр оповещения")))[-1]
        assert "Получат 1: Telegram — 1" in tg_text(preview)
        tg.callback(MODERATOR, preview["message_id"], ADMIN_CHAT, tg_buttons(preview)["Отмена"])
        await wait(lambda: admin(tg, "Оповещение не отправлено."))
        tg.callback(MODERATOR, preview["message_id"], ADMIN_CHAT, tg_buttons(preview)["Отправить"])
        await wait(lambda: len(tg.answered_callbacks()) >= 2)
        async with app.services.db.read() as conn:
            assert (await conn.execute(select(alerts))).all() == [], "no alert was made"
        assert not tg.messages(TG_PEOPLE[0]), "a discarded alert is never sent"


async def test_wrong_answers_are_asked_again_and_lose_nothing(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    hotline_people(tg)
    tg.add_user(TG_PEOPLE[0], "Житель")
    async with running(tmp_path, tg) as app:
        await subscribers(app.services, "telegram", TG_PEOPLE[:1])
        await say(tg, "/alert", "Выберите тему")
        await say(tg, "погода", "Темы «погода» нет.")
        await say(tg, "1", "Напишите текст оповещения")
        await say(tg, "   ", "Текст оповещения пуст.")
        await say(tg, "Гроза после 15:00.", "Пришлите фото")
        await say(tg, "фото потом", "Пришлите фото", times=2)
        await say(tg, "-", "Срочное оповещение?")
        await say(tg, "наверное", "Напишите «да» или «нет».")
        tg.user_message(MODERATOR, ADMIN_CHAT, text="Да")
        preview = tg_text((await wait(lambda: admin(tg, "Предпросмотр оповещения")))[-1])
        assert "«Экстренные сообщения: ЧС, отключения» (срочно)" in preview
        assert "Гроза после 15:00." in preview
        assert "Получат 1: Telegram — 1" in preview
        assert "С фото." not in preview
        assert len(admin(tg, "Напишите текст оповещения")) == 1, "a wrong answer moves nothing"


async def test_one_dialogue_at_a_time_and_cancel_without_one_says_so(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    """Both dialogues read the moderator's plain messages: a second one begun beside the
    first would take answers meant for it."""
    hotline_people(tg)
    async with running(tmp_path, tg):
        await say(tg, "/cancel", "Отменять нечего")
        await say(tg, "/alert", "Выберите тему")
        await say(tg, "/hotline", "Сначала закончите оповещение")
        await say(tg, "1", "Напишите текст оповещения")  # still the alert's answer
        assert not admin(tg, "Напишите тему"), "no hotline dialogue was begun"
        await say(tg, "/cancel", "Оповещение не отправлено")
        await say(tg, "/hotline", "Напишите тему")
        await say(tg, "/alert", "Сначала закончите создание горячей линии")
        await say(tg, "Вывоз мусора", "Коротко опишите")  # still the hotline's answer
        await say(tg, "/cancel", "Создание горячей линии отменено")
        await say(tg, "/alert", "Выберите тему", times=2)
        await say(tg, "/cancel", "Оповещение не отправлено", times=2)
        await say(tg, "/cancel", "Отменять нечего", times=2)
