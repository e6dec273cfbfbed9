"""A draft (a question waiting for the citizen's choice of hotline) whose hotlines all
close: the bot told the citizen «Ваш вопрос сохранён», so closing the last open hotline
stores it as a general question, with the citizen told their ticket, whether or not they
ever write again — once, on both engines, whatever stops the closing half-way."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from bots.app import App
from shared.clock import utcnow
from shared.domain import HotlineStatus, QuestionStatus
from shared.hotlines import campaigns, deadlines
from shared.hotlines import planner as planner_module
from shared.hotlines.conversation import State
from shared.hotlines.drafts import close as close_hotline
from shared.hotlines.planner import HotlinePlanner
from shared.storage import citizens
from shared.storage.schema import hotlines
from simulators.telegram import FakeTelegram
from simulators.vk import FakeVK
from tests.hotline_harness import (
    cards,
    fast_overrides,
    hotline_people,
    open_hotline,
    outbox_idle,
    question_rows,
    running,
    vk_buttons,
    wait,
)
from tests.test_hotline_drafts import CITIZEN, QUESTION, drafted, said, stored

POSTGRES_URL = os.environ.get("GLASHATAI_TEST_POSTGRES_URL")
STORED = "сохранён под номером №"  # PostgreSQL's ids go on past a rolled-back one
CLOSED = "из которых нужно было выбрать, уже закрылись"


@pytest.fixture
def fakes(tg: FakeTelegram, vk: FakeVK) -> tuple[FakeTelegram, FakeVK]:
    return hotline_people(tg), vk


async def waiting(app: App) -> int:
    async with app.services.db.read() as conn:
        count, _ = await deadlines.counts(conn, app.services.settings.hotline, utcnow())
    return count


async def test_the_last_hotline_closing_stores_the_draft_as_a_general_question(
    tmp_path: Path, fakes: tuple[FakeTelegram, FakeVK], database_url: str
) -> None:
    tg, vk = fakes
    overrides = fast_overrides(database={"url": database_url})
    async with running(tmp_path, tg, vk, overrides=overrides) as app:
        first = await open_hotline(app, topic="Отопление")
        second = await open_hotline(app, topic="Дороги")
        prompt = await drafted(vk)
        await close_hotline(app.services, "test", first)
        await wait(lambda: outbox_idle(app.services.db))
        assert await stored(app) == []  # one hotline is still there to choose
        await close_hotline(app.services, "test", second)
        # The citizen writes nothing more: the draft reaches the moderators all the same.
        told = (await wait(lambda: said(vk, STORED)))[-1]
        assert "Сейчас горячая линия не работает" in told["message"]
        assert said(vk, CLOSED)
        assert await stored(app) == [(QUESTION, None)]
        assert await waiting(app) == 1
        await wait(lambda: cards(tg))
        # The old prompt's button now finds no draft: it says so, and stores nothing more.
        vk.message_event(
            CITIZEN,
            vk_buttons(prompt)["Отопление"],
            conversation_message_id=prompt["conversation_message_id"],
        )
        await wait(lambda: said(vk, "Эта горячая линия уже закрылась"))
        await wait(lambda: outbox_idle(app.services.db))
        assert await stored(app) == [(QUESTION, None)]
        assert len(said(vk, STORED)) == 1
        assert len(cards(tg)) == 1


class Crash(RuntimeError):
    """The process dies half-way through closing a hotline."""


async def crash(*args: object, **kwargs: object) -> None:
    raise Crash


async def test_a_draft_is_stored_once_though_the_closing_breaks_off_and_the_app_restarts(
    tmp_path: Path,
    fakes: tuple[FakeTelegram, FakeVK],
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tg, vk = fakes
    overrides = fast_overrides(database={"url": database_url})
    with monkeypatch.context() as patch:
        async with running(tmp_path, tg, vk, overrides=overrides) as app:
            first = await open_hotline(app, topic="Отопление")
            second = await open_hotline(app, topic="Дороги")
            await drafted(vk)
            await close_hotline(app.services, "test", first)
            async with app.services.db.write() as conn:
                await conn.execute(
                    update(hotlines)
                    .where(hotlines.c.id == second)
                    .values(ends_at=utcnow() - timedelta(seconds=1))
                )
            # The summary is posted after the draft was stored, in the same transaction.
            patch.setattr(planner_module, "notify", crash)
            with pytest.raises(Crash):
                await HotlinePlanner(app.services).run_due(utcnow())
            await wait(lambda: outbox_idle(app.services.db))
            assert await stored(app) == []
            assert said(vk, STORED) == []
            async with app.services.db.read() as conn:
                assert (await campaigns.get(conn, second)).status is HotlineStatus.OPEN
                citizen = await citizens.find(conn, "vk", str(CITIZEN))
                assert citizen is not None
                assert citizen.state == State.CHOOSE
                assert citizen.state_data["draft"]["text"] == QUESTION
    # Restarted: the scheduler's first look closes the hotline that is due.
    async with running(tmp_path, tg, vk, overrides=overrides) as app:
        await wait(lambda: said(vk, STORED))
        await HotlinePlanner(app.services).run_due(utcnow())  # again: nothing more to do
        await wait(lambda: outbox_idle(app.services.db))
        assert await stored(app) == [(QUESTION, None)]
        assert len(said(vk, STORED)) == len(said(vk, CLOSED)) == 1
        assert len(cards(tg)) == 1
    async with running(tmp_path, tg, vk, overrides=overrides) as app:  # and once more
        await wait(lambda: outbox_idle(app.services.db))
        assert await stored(app) == [(QUESTION, None)]
        assert len(said(vk, STORED)) == 1


async def test_a_draft_of_a_citizen_banned_meanwhile_is_kept_out_of_sight(
    tmp_path: Path, fakes: tuple[FakeTelegram, FakeVK], database_url: str
) -> None:
    tg, vk = fakes
    overrides = fast_overrides(database={"url": database_url})
    async with running(tmp_path, tg, vk, overrides=overrides) as app:
        first = await open_hotline(app, topic="Отопление")
        second = await open_hotline(app, topic="Дороги")
        await drafted(vk)
        async with app.services.db.write() as conn:
            citizen = await citizens.find(conn, "vk", str(CITIZEN))
            assert citizen is not None
            await citizens.set_fields(conn, citizen.id, banned=True)
        await close_hotline(app.services, "test", first)
        await close_hotline(app.services, "test", second)
        await wait(lambda: outbox_idle(app.services.db))
        rows = await question_rows(app.services.db)
        assert [(r["text"], r["hotline_id"], r["status"]) for r in rows] == [
            (QUESTION, None, QuestionStatus.BANNED.value)
        ]
        assert said(vk, STORED) == said(vk, CLOSED) == []  # a banned citizen is told nothing
        assert cards(tg) == []
        assert await waiting(app) == 0
