"""Hotlines end to end on Telegram: the real app, aiogram and the outbox against the fake."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bots.app import App
from shared.domain import OutboxState
from shared.storage import audit
from simulators.telegram import FakeTelegram, make_png
from tests.harness import ADMIN_CHAT, MODERATOR
from tests.hotline_harness import (
    HOSTILE,
    MODERATOR_2,
    STRANGER,
    card_for,
    card_recorded,
    cards,
    containing,
    handled_updates,
    hotline_people,
    open_hotline,
    outbox_idle,
    outbox_rows,
    question_rows,
    running,
    tg_buttons,
    tg_consent,
    tg_text,
    wait,
)

CITIZEN = 7001


@pytest.fixture
def tg(tg: FakeTelegram) -> FakeTelegram:
    """conftest's strict fake (limits and teardown checks on) with the hotline's people."""
    return hotline_people(tg)


async def test_whole_loop_exactly_once(tmp_path: Path, tg: FakeTelegram) -> None:
    async with running(tmp_path, tg) as app:
        await open_hotline(app)
        await tg_consent(tg, CITIZEN)
        greeting = containing(tg.messages(CITIZEN), "Горячая линия «Отопление»")
        assert greeting, "the open hotline is listed after consent"
        tg.user_message(CITIZEN, text="Когда дадут тепло на улице Ленина?")
        confirm = await wait(lambda: containing(tg.messages(CITIZEN), "Номер вопроса: №"))
        ticket = int(tg_text(confirm[-1]).split("№")[1].split(".")[0])
        card = await wait(lambda: card_for(tg, ticket))
        text = tg_text(card)
        assert "Отопление" in text
        assert "Telegram" in text
        assert "Анна" in text
        assert "Иванова" not in text, "first name only"
        assert "улице Ленина" in text
        assert set(tg_buttons(card)) == {"Взять", "Для публикации", "Отклонить"}

        tg.user_message(
            MODERATOR,
            ADMIN_CHAT,
            text="Тепло дадут в среду.",
            reply_to_message_id=card["message_id"],
        )
        answer = await wait(lambda: containing(tg.messages(CITIZEN), "Тепло дадут в среду."))
        assert f"Ответ на ваш вопрос №{ticket}" in tg_text(answer[0])
        edited = await wait(
            lambda: (
                (c := tg.message(ADMIN_CHAT, card["message_id"]))
                and "Доставлено." in tg_text(c)
                and c
            )
        )
        assert "Ответил(а) Мария" in tg_text(edited)
        rows = await outbox_rows(app.services.db, ref_type="answer")
        assert [r["state"] for r in rows] == [OutboxState.SENT.value]
        assert len(containing(tg.messages(CITIZEN), "Тепло дадут в среду.")) == 1

        # A later reply by the same moderator is a correction.
        tg.user_message(
            MODERATOR,
            ADMIN_CHAT,
            text="Поправка: в четверг.",
            reply_to_message_id=card["message_id"],
        )
        fix = await wait(lambda: containing(tg.messages(CITIZEN), "Поправка: в четверг."))
        assert "Уточнение" in tg_text(fix[0])
        async with app.services.db.read() as conn:
            actions = [e["action"] for e in await audit.entries(conn, "question", ticket)]
        assert actions == ["question.answer", "question.correct"]
        tg.user_message(CITIZEN, text="Мои вопросы")
        mine = await wait(lambda: containing(tg.messages(CITIZEN), "Ваши вопросы"))
        assert f"№{ticket} — есть ответ" in tg_text(mine[-1])


async def test_consent_refused_keeps_nothing(tmp_path: Path, tg: FakeTelegram) -> None:
    async with running(tmp_path, tg) as app:
        await open_hotline(app)
        tg.add_user(CITIZEN, "Анна", "Иванова")
        tg.user_message(CITIZEN, text="/start")
        prompt = await wait(lambda: [m for m in tg.messages(CITIZEN) if tg_buttons(m)])
        buttons = tg_buttons(prompt[-1])
        assert "152-ФЗ" in tg_text(prompt[-1])
        assert buttons["Политика обработки данных"] == "https://town.example/privacy"
        tg.callback(CITIZEN, prompt[-1]["message_id"], CITIZEN, buttons["Не согласен(на)"])
        await wait(lambda: containing(tg.messages(CITIZEN), "Без вашего согласия"))
        tg.user_message(CITIZEN, text="Мой личный вопрос про отопление")
        await wait(lambda: len(containing(tg.messages(CITIZEN), "Без вашего согласия")) >= 2)
        assert await question_rows(app.services.db) == []
        async with app.services.db.read() as conn:
            from shared.storage import citizens

            citizen = await citizens.find(conn, "telegram", str(CITIZEN))
        assert citizen is not None
        assert citizen.display_name is None
        assert citizen.consent_at is None
        assert not cards(tg)


async def test_reject_sends_polite_message(tmp_path: Path, tg: FakeTelegram) -> None:
    async with running(tmp_path, tg) as app:
        await open_hotline(app)
        await tg_consent(tg, CITIZEN)
        tg.user_message(CITIZEN, text="Купите наши окна!")
        card = await wait(lambda: cards(tg))
        card = card[0]
        await wait(lambda: card_recorded(app, card["message_id"]))
        tg.callback(MODERATOR, card["message_id"], ADMIN_CHAT, tg_buttons(card)["Отклонить"])
        reasons = await wait(
            lambda: (
                "Спам" in tg_buttons(tg.message(ADMIN_CHAT, card["message_id"]) or {})
                and tg.message(ADMIN_CHAT, card["message_id"])
            )
        )
        tg.callback(MODERATOR, card["message_id"], ADMIN_CHAT, tg_buttons(reasons)["Спам"])
        polite = await wait(lambda: containing(tg.messages(CITIZEN), "К сожалению"))
        assert "реклам" in tg_text(polite[0])
        final = await wait(
            lambda: "Отклонён" in tg_text(tg.message(ADMIN_CHAT, card["message_id"]) or {})
        )
        assert final
        rows = await question_rows(app.services.db)
        assert rows[0]["status"] == "rejected"
        assert rows[0]["reject_reason"] == "spam"
        # An answer to a rejected question is refused.
        tg.user_message(MODERATOR, ADMIN_CHAT, text="Ответ", reply_to_message_id=card["message_id"])
        await wait(lambda: containing(tg.messages(ADMIN_CHAT), "отклонён — ответ не отправлен"))
        assert not containing(tg.messages(CITIZEN), "Ответ на ваш вопрос")


async def test_first_answer_wins(tmp_path: Path, tg: FakeTelegram) -> None:
    overrides = {"telegram": {"moderator_ids": [MODERATOR, MODERATOR_2]}}
    from tests.hotline_harness import fast_overrides

    async with running(tmp_path, tg, overrides=fast_overrides(**overrides)) as app:
        await open_hotline(app)
        await tg_consent(tg, CITIZEN)
        tg.user_message(CITIZEN, text="Вопрос")
        card = (await wait(lambda: cards(tg)))[0]
        tg.user_message(
            MODERATOR, ADMIN_CHAT, text="Ответ Марии", reply_to_message_id=card["message_id"]
        )
        tg.user_message(
            MODERATOR_2, ADMIN_CHAT, text="Ответ Петра", reply_to_message_id=card["message_id"]
        )
        # Both replies race; whoever's transaction comes first wins, the other is told.
        told = await wait(lambda: containing(tg.messages(ADMIN_CHAT), "уже ответил(а)"))
        winner, loser = ("Марии", "Петра") if "Мария" in tg_text(told[0]) else ("Петра", "Марии")
        await wait(lambda: containing(tg.messages(CITIZEN), f"Ответ {winner}"))
        assert not containing(tg.messages(CITIZEN), f"Ответ {loser}")
        async with app.services.db.read() as conn:
            actions = [e["action"] for e in await audit.entries(conn, "question", 1)]
        assert actions == ["question.answer", "question.answer_lost"]


async def test_strangers_and_forged_buttons_change_nothing(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    async with running(tmp_path, tg) as app:
        await open_hotline(app)
        await tg_consent(tg, CITIZEN)
        tg.user_message(CITIZEN, text="Вопрос")
        card = (await wait(lambda: cards(tg)))[0]
        before = await question_rows(app.services.db)

        tg.user_message(
            STRANGER, ADMIN_CHAT, text="Ответ чужого", reply_to_message_id=card["message_id"]
        )
        tg.callback(STRANGER, card["message_id"], ADMIN_CHAT, tg_buttons(card)["Отклонить"])
        tg.callback(
            MODERATOR, card["message_id"], ADMIN_CHAT, "forged-token-xyz", check_button=False
        )
        tg.user_message(STRANGER, ADMIN_CHAT, text="/next")
        await wait(lambda: len(tg.answered_callbacks()) >= 2)

        async def denied() -> list[dict[str, object]]:
            async with app.services.db.read() as conn:
                return [e for e in await audit.entries(conn) if e["action"] == "denied"]

        found = await wait(lambda: _at_least(denied, 3))
        assert {e["details"]["what"] for e in found} == {"answer", "mod.reject_menu", "next"}
        assert await question_rows(app.services.db) == before
        assert not containing(tg.messages(CITIZEN), "Ответ чужого")
        assert not containing(tg.messages(CITIZEN), "К сожалению")


async def test_throttling_warns_once_then_silence(tmp_path: Path, tg: FakeTelegram) -> None:
    from tests.hotline_harness import fast_overrides

    overrides = fast_overrides(hotline={"throttle_messages": 4, "throttle_window_seconds": 60})
    async with running(tmp_path, tg, overrides=overrides) as app:
        await open_hotline(app)
        await tg_consent(tg, CITIZEN)
        with handled_updates() as handled:
            flood = [tg.user_message(CITIZEN, text=f"Вопрос {n}") for n in range(8)]
            await wait(lambda: handled.all(flood))
        # Everything the flood caused is queued by now; once delivered, nothing else follows.
        await wait(lambda: outbox_idle(app.services.db))
        assert len(containing(tg.messages(CITIZEN), "Номер вопроса")) == 3
        assert len(containing(tg.messages(CITIZEN), "слишком часто")) == 1
        # /start and 3 questions fit in the window; the rest are dropped in silence
        assert len(await question_rows(app.services.db)) == 3


async def test_hostile_text_is_shown_literally(tmp_path: Path, tg: FakeTelegram) -> None:
    async with running(tmp_path, tg) as app:
        await open_hotline(app, topic="Бюджет <i>&</i>")
        await tg_consent(tg, CITIZEN, name="<b>Аня</b>&")
        tg.user_message(CITIZEN, text=HOSTILE)
        card = (await wait(lambda: cards(tg)))[0]
        assert HOSTILE.strip() in tg_text(card)
        assert "Бюджет <i>&</i>" in tg_text(card)
        assert "<b>Аня</b>&" in tg_text(card)
        assert not card.get("entities") or all(
            e["type"] == "bold" for e in card.get("entities", [])
        )
        tg.user_message(MODERATOR, ADMIN_CHAT, text=HOSTILE, reply_to_message_id=card["message_id"])
        answer = await wait(lambda: containing(tg.messages(CITIZEN), "Ответ на ваш вопрос"))
        assert HOSTILE.strip() in tg_text(answer[0])
        tg.user_message(CITIZEN, text="Мои вопросы")
        mine = await wait(lambda: containing(tg.messages(CITIZEN), "Ваши вопросы"))
        assert "<b>жирный</b>" in tg_text(mine[-1])
        tg.user_message(MODERATOR, ADMIN_CHAT, text="/queue")
        tg.user_message(MODERATOR, ADMIN_CHAT, text="/stats")
        await wait(lambda: containing(tg.messages(ADMIN_CHAT), "Бюджет <i>&</i>»: получено"))


async def test_photos_voice_and_card_photo(tmp_path: Path, tg: FakeTelegram) -> None:
    async with running(tmp_path, tg) as app:
        await open_hotline(app)
        await tg_consent(tg, CITIZEN)
        tg.user_message(CITIZEN, voice=True)
        await wait(lambda: containing(tg.messages(CITIZEN), "напишите вопрос текстом"))
        png = make_png()
        tg.user_message(CITIZEN, photo=png, caption="Яма во дворе")
        card = await wait(lambda: [m for m in tg.messages(ADMIN_CHAT) if m.get("photo")])
        assert "Яма во дворе" in tg_text(card[0])
        rows = await question_rows(app.services.db)
        assert len(rows) == 1
        assert len(rows[0]["attachments"]) == 1
        # Reply to the photo card (its caption) with a photo answer.
        tg.user_message(
            MODERATOR,
            ADMIN_CHAT,
            photo=make_png(),
            caption="Засыплем",
            reply_to_message_id=card[0]["message_id"],
        )
        answer = await wait(lambda: [m for m in tg.messages(CITIZEN) if m.get("photo")])
        assert "Засыплем" in tg_text(answer[0])
        await wait(
            lambda: "Доставлено." in tg_text(tg.message(ADMIN_CHAT, card[0]["message_id"]) or {})
        )


async def test_unreachable_citizen_is_shown_on_the_card(tmp_path: Path, tg: FakeTelegram) -> None:
    async with running(tmp_path, tg) as app:
        await open_hotline(app)
        await tg_consent(tg, CITIZEN)
        tg.user_message(CITIZEN, text="Вопрос")
        card = (await wait(lambda: cards(tg)))[0]
        tg.block(CITIZEN)
        tg.user_message(MODERATOR, ADMIN_CHAT, text="Ответ", reply_to_message_id=card["message_id"])
        edited = await wait(
            lambda: (
                (m := tg.message(ADMIN_CHAT, card["message_id"]))
                and "Не доставлено: житель заблокировал бота" in tg_text(m)
                and m
            )
        )
        assert "Житель заблокировал бота" in tg_text(edited)
        rows = await outbox_rows(app.services.db, ref_type="answer")
        assert rows[0]["state"] == OutboxState.FAILED.value
        assert rows[0]["attempts"] == 0


async def test_citizen_who_unblocked_the_bot_and_writes_again_is_reachable(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    """A citizen blocked the bot (an answer got 403: marked unreachable), then unblocked
    it and wrote again: their new card does not say they blocked the bot, and an alert to
    a topic they subscribed to reaches them."""
    from shared.alerts import feature, service

    async with running(tmp_path, tg) as app:
        await open_hotline(app)
        await tg_consent(tg, CITIZEN)
        tg.user_message(CITIZEN, text="/subscribe")
        menu = (await wait(lambda: containing(tg.messages(CITIZEN), "Оповещения от")))[-1]
        emergency = next(k for k in tg_buttons(menu) if k.startswith("Экстренные"))
        tg.callback(CITIZEN, menu["message_id"], CITIZEN, tg_buttons(menu)[emergency])
        await wait(lambda: containing(tg.messages(CITIZEN), "Вы подписались"))
        tg.user_message(CITIZEN, text="Первый вопрос")
        card = (await wait(lambda: cards(tg)))[0]
        tg.block(CITIZEN)
        tg.user_message(MODERATOR, ADMIN_CHAT, text="Ответ", reply_to_message_id=card["message_id"])
        await wait(
            lambda: "заблокировал бота" in tg_text(tg.message(ADMIN_CHAT, card["message_id"]) or {})
        )
        tg.unblock(CITIZEN)
        tg.user_message(CITIZEN, text="Второй вопрос, я снова здесь")
        await wait(lambda: containing(tg.messages(CITIZEN), "Номер вопроса: №2"))
        second = await wait(lambda: containing(cards(tg), "Второй вопрос"))
        assert "заблокировал бота" not in tg_text(second[0])
        topic = feature(app.services).find_topic("emergency")
        assert topic is not None
        alert_id = await service.create(app.services, topic=topic, text="Гроза", actor="test")
        await service.enqueue_all(app.services, alert_id)
        await wait(lambda: outbox_idle(app.services.db))
        _, figures = await service.status(app.services, alert_id)
        assert (figures.sent, figures.unreachable) == (1, 0)


async def test_an_answer_that_found_the_bot_blocked_is_sent_when_the_citizen_returns(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    """The answer got 403 (the citizen had blocked the bot): nothing was delivered. When
    the citizen unblocks the bot and writes again, it is sent, once, and the card no longer
    says they blocked the bot."""
    async with running(tmp_path, tg) as app:
        await open_hotline(app)
        await tg_consent(tg, CITIZEN)
        tg.user_message(CITIZEN, text="Когда дадут тепло?")
        card = (await wait(lambda: cards(tg)))[0]
        tg.block(CITIZEN)
        reply = "Тепло дадут в среду."
        tg.user_message(MODERATOR, ADMIN_CHAT, text=reply, reply_to_message_id=card["message_id"])
        await wait(
            lambda: "заблокировал бота" in tg_text(tg.message(ADMIN_CHAT, card["message_id"]) or {})
        )
        tg.unblock(CITIZEN)
        tg.user_message(CITIZEN, text="Мои вопросы")
        [answer] = await wait(lambda: containing(tg.messages(CITIZEN), reply))
        assert tg_text(answer).startswith("Ответ на ваш вопрос №1:")
        await wait(
            lambda: "Доставлено." in tg_text(tg.message(ADMIN_CHAT, card["message_id"]) or {})
        )
        assert "заблокировал" not in tg_text(tg.message(ADMIN_CHAT, card["message_id"]) or {})
        tg.user_message(CITIZEN, text="Мои вопросы")  # reachable already: nothing again
        await wait(lambda: len(containing(tg.messages(CITIZEN), "Ваши вопросы")) == 2)
        await wait(lambda: outbox_idle(app.services.db))
        assert len(containing(tg.messages(CITIZEN), reply)) == 1
        rows = await outbox_rows(app.services.db, ref_type="answer")
        assert [r["state"] for r in rows] == [OutboxState.FAILED.value, OutboxState.SENT.value]


@pytest.mark.parametrize("invisible", ["\u200b", "\u200d\ufe0f", "\u2060 \u200e"])
async def test_a_message_with_nothing_to_read_is_not_a_question(
    tmp_path: Path, tg: FakeTelegram, invisible: str
) -> None:
    """Zero-width and direction marks alone show nothing: no card of a blank question,
    the greeting instead, as for an empty message."""
    async with running(tmp_path, tg) as app:
        await open_hotline(app)
        await tg_consent(tg, CITIZEN)
        greeted = len(containing(tg.messages(CITIZEN), "Здравствуйте!"))
        tg.user_message(CITIZEN, text=invisible)
        await wait(lambda: len(containing(tg.messages(CITIZEN), "Здравствуйте!")) > greeted)
        tg.user_message(CITIZEN, text="Когда дадут тепло?")
        await wait(lambda: containing(tg.messages(CITIZEN), "Номер вопроса: №1"))
        assert [r["text"] for r in await question_rows(app.services.db)] == ["Когда дадут тепло?"]


async def test_queue_next_stats_ban(tmp_path: Path, tg: FakeTelegram) -> None:
    from tests.hotline_harness import fast_overrides

    overrides = fast_overrides(hotline={"queue_page_size": 2})
    async with running(tmp_path, tg, overrides=overrides) as app:
        await open_hotline(app)
        await tg_consent(tg, CITIZEN)
        for n in range(3):
            tg.user_message(CITIZEN, text=f"Вопрос номер {n}")
        await wait(lambda: len(cards(tg)) == 3)
        tg.user_message(MODERATOR, ADMIN_CHAT, text="/queue")
        page = await wait(lambda: containing(tg.messages(ADMIN_CHAT), "Очередь"))
        assert "№1 " in tg_text(page[0])
        assert "№2 " in tg_text(page[0])
        assert "№3" not in tg_text(page[0])
        more = tg_buttons(page[0])["Дальше →"]
        tg.callback(MODERATOR, page[0]["message_id"], ADMIN_CHAT, more)
        page2 = await wait(lambda: len(containing(tg.messages(ADMIN_CHAT), "Очередь")) == 2)
        assert page2
        assert "№3 " in tg_text(containing(tg.messages(ADMIN_CHAT), "Очередь")[1])
        tg.user_message(MODERATOR, ADMIN_CHAT, text="/next")
        await wait(lambda: len(containing(tg.messages(ADMIN_CHAT), "Вопрос №1 ")) == 2)
        rows = await question_rows(app.services.db)
        assert rows[0]["status"] == "assigned"
        assert rows[0]["assigned_to"] == MODERATOR
        tg.user_message(MODERATOR, ADMIN_CHAT, text="/stats")
        stats = await wait(lambda: containing(tg.messages(ADMIN_CHAT), "Всего:"))
        assert "новых 2, взятых 1" in tg_text(stats[0])
        tg.user_message(MODERATOR, ADMIN_CHAT, text="/ban 2")
        await wait(lambda: containing(tg.messages(ADMIN_CHAT), "Автор вопроса №2 заблокирован"))
        count = len(cards(tg))
        tg.user_message(CITIZEN, text="Ещё вопрос от заблокированного")
        rows = await wait_rows(app, 4)
        assert rows[-1]["status"] == "banned"
        assert not await outbox_rows(app.services.db, ref_type="card", ref_id=4)
        # The unban returns what was kept during the ban to the queue, carded.
        tg.user_message(MODERATOR, ADMIN_CHAT, text="/unban 2")
        done = await wait(lambda: containing(tg.messages(ADMIN_CHAT), "разблокирован"))
        assert "сохранённых за время блокировки: 1" in tg_text(done[0])
        held = await wait(lambda: containing(cards(tg), "Ещё вопрос от заблокированного"))
        assert "Вопрос №4" in tg_text(held[0])
        assert (await question_rows(app.services.db))[3]["status"] == "new"
        tg.user_message(CITIZEN, text="Теперь можно")
        await wait(lambda: len(cards(tg)) == count + 2)


async def wait_rows(app: App, n: int) -> list[dict[str, Any]]:
    async def enough() -> list[dict[str, Any]] | None:
        rows = await question_rows(app.services.db)
        return rows if len(rows) >= n else None

    return await wait(enough)


async def test_album_photos_all_reach_the_moderators(tmp_path: Path, tg: FakeTelegram) -> None:
    """An album arrives as separate messages; its photos join the question, whether its
    card is still queued or already in the admin chat."""
    async with running(tmp_path, tg) as app:
        await open_hotline(app)
        await tg_consent(tg, CITIZEN)
        # Back to back: the second photo finds the card queued or just sent.
        tg.user_message(CITIZEN, photo=make_png(), caption="Двор", media_group_id="a1")
        tg.user_message(CITIZEN, photo=make_png(), media_group_id="a1")
        rows = await wait(lambda: _with_photos(app, 1, 2))
        assert len(rows) == 1
        await wait(lambda: len(_photos(tg)) == 2)
        # Well after the card went out: the photo follows it as a reply.
        tg.user_message(CITIZEN, photo=make_png(), caption="Подъезд", media_group_id="a2")
        card = await wait(lambda: containing(cards(tg), "Подъезд"))
        assert card[0].get("photo")

        async def card_recorded() -> bool:
            rows = await outbox_rows(app.services.db, ref_type="card", ref_id=2)
            return bool(rows) and rows[0]["state"] == OutboxState.SENT.value

        await wait(card_recorded)
        tg.user_message(CITIZEN, photo=make_png(), media_group_id="a2")
        more = await wait(lambda: containing(tg.messages(ADMIN_CHAT), "Ещё фото к вопросу №2"))
        assert more[0].get("photo")
        assert more[0]["reply_to_message"]["message_id"] == card[0]["message_id"]
        assert len((await question_rows(app.services.db))[1]["attachments"]) == 2
        # A reply to the follow-up photo answers the question.
        tg.user_message(
            MODERATOR, ADMIN_CHAT, text="Починим", reply_to_message_id=more[0]["message_id"]
        )
        await wait(lambda: containing(tg.messages(CITIZEN), "Починим"))
        assert (await question_rows(app.services.db))[1]["status"] == "answered"


async def test_an_album_captioned_on_a_later_photo_is_one_question_with_that_text(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    """Telegram lets the caption sit on any photo of an album: the question is one, its
    text is the caption, and the card (sent, or still queued) shows it."""
    async with running(tmp_path, tg) as app:
        await open_hotline(app)
        await tg_consent(tg, CITIZEN)
        tg.user_message(CITIZEN, photo=make_png(), media_group_id="a1")
        await wait(lambda: containing(tg.messages(CITIZEN), "Номер вопроса: №1"))
        tg.user_message(CITIZEN, photo=make_png(), caption="Яма во дворе", media_group_id="a1")
        rows = await wait(lambda: _with_photos(app, 1, 2))
        assert len(rows) == 1
        await wait(lambda: containing(cards(tg), "Яма во дворе"))
        assert [r["text"] for r in await question_rows(app.services.db)] == ["Яма во дворе"]
        assert len(containing(tg.messages(CITIZEN), "Номер вопроса")) == 1, "one ticket"


async def test_an_album_counts_as_one_message_for_the_throttle(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    """An album of up to 10 photos arrives as one message per photo: six photos with the
    shipped throttle (5 messages a minute) are one question, and nobody is silenced."""
    from tests.hotline_harness import fast_overrides

    overrides = fast_overrides(hotline={"throttle_messages": 5})
    async with running(tmp_path, tg, overrides=overrides) as app:
        await open_hotline(app)
        await tg_consent(tg, CITIZEN)
        with handled_updates() as handled:
            sent = [
                tg.user_message(
                    CITIZEN,
                    photo=make_png(),
                    caption="Яма во дворе" if n == 0 else None,
                    media_group_id="six",
                )
                for n in range(6)
            ]
            await wait(lambda: handled.all(sent))
        await wait(lambda: outbox_idle(app.services.db))
        assert not containing(tg.messages(CITIZEN), "слишком часто")
        rows = await question_rows(app.services.db)
        assert [(r["text"], len(r["attachments"])) for r in rows] == [("Яма во дворе", 6)]


async def test_album_before_choosing_a_hotline_keeps_every_photo_and_asks_once(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    """With two hotlines open an album's first photo starts a draft; its other photos join
    the draft (not replace it), and the hotline is asked for once, not once a photo."""
    async with running(tmp_path, tg) as app:
        await open_hotline(app, "Отопление")
        await open_hotline(app, "Дороги")
        await tg_consent(tg, CITIZEN)
        with handled_updates() as handled:
            sent = [
                tg.user_message(
                    CITIZEN,
                    photo=make_png(),
                    caption="Яма у дома 5" if n == 0 else None,
                    media_group_id="three",
                )
                for n in range(3)
            ]
            await wait(lambda: handled.all(sent))
        await wait(lambda: outbox_idle(app.services.db))
        prompts = containing(tg.messages(CITIZEN), "Ваш вопрос сохранён")
        assert len(prompts) == 1
        tg.callback(CITIZEN, prompts[0]["message_id"], CITIZEN, tg_buttons(prompts[0])["Дороги"])
        await wait(lambda: containing(tg.messages(CITIZEN), "Номер вопроса"))
        rows = await question_rows(app.services.db)
        assert [(r["text"], len(r["attachments"])) for r in rows] == [("Яма у дома 5", 3)]
        card = await wait(lambda: containing(cards(tg), "Яма у дома 5"))
        assert "Дороги" in tg_text(card[0])


async def test_messages_written_before_choosing_a_hotline_make_one_question(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    """With several hotlines open, a question written before picking is kept until the
    citizen picks: written in two messages, both are kept, in order, in one question."""
    async with running(tmp_path, tg) as app:
        await open_hotline(app, "Отопление")
        await open_hotline(app, "Дороги")
        await tg_consent(tg, CITIZEN)
        tg.user_message(CITIZEN, text="В доме 5 по Ленина холодно.")
        await wait(lambda: containing(tg.messages(CITIZEN), "Ваш вопрос сохранён"))
        tg.user_message(CITIZEN, text="И в подъезде нет света.")
        prompts = await wait(
            lambda: len(p := containing(tg.messages(CITIZEN), "Ваш вопрос сохранён")) == 2 and p
        )
        choice = tg_buttons(prompts[-1])["Отопление"]
        tg.callback(CITIZEN, prompts[-1]["message_id"], CITIZEN, choice)
        await wait(lambda: containing(tg.messages(CITIZEN), "Номер вопроса"))
        rows = await question_rows(app.services.db)
        assert [r["text"] for r in rows] == [
            "В доме 5 по Ленина холодно.\n\nИ в подъезде нет света."
        ]


async def _at_least(fetch: Any, n: int) -> list[Any] | None:
    found: list[Any] = await fetch()
    return found if len(found) >= n else None


def _photos(tg: FakeTelegram) -> list[dict[str, Any]]:
    return [m for m in tg.messages(ADMIN_CHAT) if m.get("photo")]


async def _with_photos(app: App, count: int, photos: int) -> list[dict[str, Any]] | None:
    rows = await question_rows(app.services.db)
    if len(rows) == count and len(rows[-1]["attachments"]) == photos:
        return rows
    return None


async def first_question_is(app: App, text: str) -> bool:
    rows = await question_rows(app.services.db)
    return [r["text"] for r in rows] == [text]


async def test_long_question_shown_whole_across_messages(tmp_path: Path, tg: FakeTelegram) -> None:
    async with running(tmp_path, tg) as app:
        await open_hotline(app)
        await tg_consent(tg, CITIZEN)
        paragraphs = [f"Абзац {n}: " + "очень подробно про отопление. " * 30 for n in range(12)]
        text = "\n\n".join(paragraphs)
        assert len(text) > 4096
        # A text the citizen's app sends as two messages: one question, confirmed once.
        tg.user_message(CITIZEN, text=text[:4096])
        tg.user_message(CITIZEN, text=text[4096:5000])
        await wait(lambda: containing(tg.messages(CITIZEN), "Номер вопроса: №1"))
        joined = f"{text[:4096].strip()}\n{text[4096:5000].strip()}"
        await wait(lambda: first_question_is(app, joined))
        # A long question stored whole (made of one message here, through the core).
        from shared.hotlines import conversation
        from shared.hotlines.model import Incoming

        await conversation(app.services).message(
            Incoming("telegram", str(CITIZEN), str(CITIZEN), text=text, known_name="Анна")
        )

        def third_card() -> list[dict[str, object]]:
            sent = tg.messages(ADMIN_CHAT)
            first = next(
                (i for i, m in enumerate(sent) if tg_text(m).startswith("Вопрос №2 ")), None
            )
            if first is None:
                return []
            rest = [m for m in sent[first + 1 :] if tg_text(m).startswith("Абзац")]
            return [sent[first], *rest] if len(rest) >= 2 else []

        long_parts = await wait(third_card)
        rows = await question_rows(app.services.db)
        assert rows[-1]["text"] == text.strip()
        assert "Длинный вопрос" in tg_text(long_parts[0])
        shown = " ".join(tg_text(m) for m in long_parts)
        for paragraph in paragraphs:
            assert paragraph.strip() in shown
        tg.user_message(
            MODERATOR, ADMIN_CHAT, text="Ответим.", reply_to_message_id=long_parts[0]["message_id"]
        )
        await wait(lambda: containing(tg.messages(CITIZEN), "Ответим."))
        await wait(
            lambda: (
                "Ответил(а) Мария"
                in tg_text(tg.message(ADMIN_CHAT, long_parts[-1]["message_id"]) or {})
            )
        )


async def test_command_menus_for_citizens_and_moderators(tmp_path: Path, tg: FakeTelegram) -> None:
    async with running(tmp_path, tg):
        menus = await wait(lambda: len(tg.commands()) == 2 and tg.commands())
    by_scope = {json.loads(scope)["type"]: cmds for scope, cmds in menus.items()}
    private = [c["command"] for c in by_scope["all_private_chats"]]
    assert private == ["start", "my", "subscribe", "forget"]  # /subscribe: alerts (issue 12)
    admin = {c["command"]: c["description"] for c in by_scope["chat"]}
    assert {"queue", "next", "stats", "digest", "ban", "unban", "post"} <= admin.keys()
    assert json.loads(next(s for s in menus if "chat_id" in s))["chat_id"] == ADMIN_CHAT
    # /my from the menu lists the citizen's questions.
    async with running(tmp_path, tg) as app:
        await open_hotline(app)
        await tg_consent(tg, CITIZEN)
        tg.user_message(CITIZEN, text="Вопрос про котельную")
        await wait(lambda: containing(tg.messages(CITIZEN), "№1"))
        tg.user_message(CITIZEN, text="/my")
        await wait(lambda: containing(tg.messages(CITIZEN), "Ваши вопросы"))


async def test_updates_delivered_again_make_no_second_question_nor_photo(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    """Telegram delivers again an update whose offset a crash left unconfirmed: the
    question, its ticket and its card are made once, and an album's photo that joined a
    question joins it once."""
    async with running(tmp_path, tg) as app:
        await open_hotline(app)
        await tg_consent(tg, CITIZEN)
        with handled_updates() as handled:
            question = tg.user_message(CITIZEN, text="Когда дадут тепло?")
            first = tg.user_message(CITIZEN, photo=make_png(), caption="Двор", media_group_id="a")
            second = tg.user_message(CITIZEN, photo=make_png(), media_group_id="a")
            await wait(lambda: _with_photos(app, 2, 2))
            again = [tg.redeliver(u) for u in (question, first, second)]
            await wait(lambda: handled.all(again))
        await wait(lambda: outbox_idle(app.services.db))
        rows = await question_rows(app.services.db)
        assert [(r["text"], len(r["attachments"])) for r in rows] == [
            ("Когда дадут тепло?", 0),
            ("Двор", 2),
        ]
        assert len(containing(tg.messages(CITIZEN), "Номер вопроса")) == 2
        assert len(cards(tg)) == 2
