"""A citizen's text longer than the platform's longest message: their app sends it as
several messages, and the office gets one question — one card, one confirmation — on
Telegram, VK and MAX; a draft (several hotlines open) takes the rest of it silently. The
real app against the strict fakes (limits on)."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulators.max import FakeMax
from simulators.telegram import FakeTelegram
from simulators.vk import FakeVK
from tests.hotline_harness import (
    containing,
    hotline_people,
    open_hotline,
    outbox_idle,
    question_rows,
    running,
    tg_consent,
    vk_consent,
    wait,
)
from tests.test_max_hotline import consent as max_consent
from tests.test_max_hotline import overrides as max_overrides
from tests.test_max_hotline import said as max_said

TG_CITIZEN = 8301
VK_CITIZEN = 310301
MAX_CITIZEN = 700301
ACCEPTED = "Номер вопроса"
SENTENCE = "В подъезде дома по улице Ленина холодные батареи уже третью неделю подряд. "


def first_part(limit: int) -> str:
    """What an app sends first of a longer text: up to the limit, cut at a word break."""
    text = SENTENCE * (limit // len(SENTENCE) + 1)
    return text[:limit].rsplit(" ", 1)[0]


async def one_question(app_db: object, rest: str) -> list[dict[str, object]]:
    rows = await question_rows(app_db)  # type: ignore[arg-type]
    return rows if rows and rest in str(rows[-1]["text"]) else []


async def test_tg_text_cut_into_two_messages_is_one_question(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    hotline_people(tg)
    head, rest = first_part(4096), "Просим принять меры до конца месяца."
    async with running(tmp_path, tg) as app:
        await open_hotline(app)
        await tg_consent(tg, TG_CITIZEN)
        tg.user_message(TG_CITIZEN, text=head)
        tg.user_message(TG_CITIZEN, text=rest)
        rows = await wait(lambda: one_question(app.services.db, rest))
        await wait(lambda: outbox_idle(app.services.db))
        assert len(await question_rows(app.services.db)) == 1
        assert rows[0]["text"] == f"{head}\n{rest}"
        assert len(containing(tg.messages(TG_CITIZEN), ACCEPTED)) == 1


async def test_tg_short_messages_stay_separate_questions(tmp_path: Path, tg: FakeTelegram) -> None:
    """A text well within the limit continues nothing: the next message is a question."""
    hotline_people(tg)
    async with running(tmp_path, tg) as app:
        await open_hotline(app)
        await tg_consent(tg, TG_CITIZEN)
        tg.user_message(TG_CITIZEN, text="Когда дадут тепло?")
        await wait(lambda: containing(tg.messages(TG_CITIZEN), "№1"))
        tg.user_message(TG_CITIZEN, text="И когда починят лифт?")
        await wait(lambda: containing(tg.messages(TG_CITIZEN), "№2"))
        rows = await question_rows(app.services.db)
        assert [r["text"] for r in rows] == ["Когда дадут тепло?", "И когда починят лифт?"]


async def test_tg_cut_text_while_choosing_a_hotline_joins_the_draft_silently(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    hotline_people(tg)
    head, rest = first_part(4096), "Просим принять меры."
    async with running(tmp_path, tg) as app:
        await open_hotline(app, topic="Отопление")
        await open_hotline(app, topic="Дороги")
        await tg_consent(tg, TG_CITIZEN)
        asked = len(containing(tg.messages(TG_CITIZEN), "Выберите, на какую горячую линию"))
        tg.user_message(TG_CITIZEN, text=head)
        tg.user_message(TG_CITIZEN, text=rest)
        await wait(
            lambda: (
                len(containing(tg.messages(TG_CITIZEN), "Выберите, на какую горячую линию")) > asked
            )
        )
        await wait(lambda: outbox_idle(app.services.db))
        assert (
            len(containing(tg.messages(TG_CITIZEN), "Выберите, на какую горячую линию"))
            == asked + 1
        )
        tg.user_message(TG_CITIZEN, text="1")
        rows = await wait(lambda: one_question(app.services.db, rest))
        assert rows[0]["text"] == f"{head}\n{rest}"
        assert len(rows) == 1


async def test_vk_text_cut_into_three_messages_is_one_question(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    hotline_people(tg)
    head, middle, rest = first_part(4096), first_part(4000), "Спасибо."
    async with running(tmp_path, tg, vk) as app:
        await open_hotline(app)
        await vk_consent(vk, VK_CITIZEN)
        for part in (head, middle, rest):
            vk.user_message(VK_CITIZEN, part)
        rows = await wait(lambda: one_question(app.services.db, rest))
        await wait(lambda: outbox_idle(app.services.db))
        assert rows[0]["text"] == f"{head}\n{middle}\n{rest}"
        assert len(await question_rows(app.services.db)) == 1
        accepted = [m for m in vk.messages(VK_CITIZEN) if ACCEPTED in m["message"]]
        assert len(accepted) == 1


@pytest.fixture
def max_fake(tg: FakeTelegram, max: FakeMax) -> FakeMax:
    hotline_people(tg)
    return max


async def test_max_text_cut_into_two_messages_is_one_question(
    tmp_path: Path, tg: FakeTelegram, max_fake: FakeMax
) -> None:
    head, rest = first_part(4000), "Просим ответить письменно."
    async with running(tmp_path, tg, overrides=max_overrides(max_fake)) as app:
        await open_hotline(app)
        await max_consent(max_fake, MAX_CITIZEN)
        max_fake.user_message(MAX_CITIZEN, head)
        max_fake.user_message(MAX_CITIZEN, rest)
        rows = await wait(lambda: one_question(app.services.db, rest))
        await wait(lambda: outbox_idle(app.services.db))
        assert rows[0]["text"] == f"{head}\n{rest}"
        assert len(await question_rows(app.services.db)) == 1
        assert len(max_said(max_fake, ACCEPTED, MAX_CITIZEN)) == 1
