"""Similar questions in the core, on both engines: what the index finds and what a group
reply answers (no chat here: the card path is covered end to end in test_similar_flow)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from shared.clock import utcnow
from shared.domain import QuestionStatus
from shared.hotlines import campaigns, groups, lemmas, moderation, similar
from shared.hotlines import questions as repo
from shared.hotlines.model import Moderator
from shared.services import Services
from shared.storage import citizens
from shared.storage.engine import Database
from shared.texts import Texts
from tests.harness import settings_for
from tests.similar_labelled import load, store

MOD = Moderator(7, "Мария", "tg:7")
THRESHOLD = 0.3


async def _hotline(db: Database, topic: str) -> int:
    now = utcnow()
    async with db.write() as conn:
        found = await campaigns.create(
            conn,
            topic=topic,
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(hours=1),
            created_by="test",
        )
    return found.id


async def _ask(services: Services, hotline_id: int | None, text: str, user: str) -> int:
    """A question as intake stores it, carded (no admin chat here) and indexed."""
    async with services.db.write() as conn:
        citizen = await citizens.get_or_create(conn, "vk", user)
        qid = await repo.add(conn, citizen_id=citizen.id, hotline_id=hotline_id, text=text)
        question = await repo.get(conn, qid)
        assert question is not None
        await moderation.card_or_summary(conn, services, question)
    return qid


async def _found(db: Database, qid: int) -> list[int]:
    async with db.read() as conn:
        return [m.question_id for m in await similar.find(conn, qid, THRESHOLD)]


async def test_only_waiting_questions_of_the_same_hotline_not_taken_out(
    db: Database, tmp_path: Path
) -> None:
    services = Services(settings=settings_for(tmp_path), db=db, texts=Texts.load())
    heat, roads = await _hotline(db, "Отопление"), await _hotline(db, "Дороги")
    a = await _ask(services, heat, "Нет отопления в доме Мира 45, батареи холодные", "1")
    b = await _ask(services, heat, "мира 45 батареи холодные отопления нет", "2")
    c = await _ask(services, heat, "Мира 45 отопление не работает, холодные батареи", "3")
    d = await _ask(services, roads, "Мира 45 нет отопления, батареи холодные", "4")
    e = await _ask(services, None, "Мира 45 нет отопления", "5")
    f = await _ask(services, heat, "Нет отопления на Мира 47, батареи холодные", "6")
    assert set(await _found(db, c)) == {a, b}, "another hotline, no hotline, another house"
    assert await _found(db, e) == []
    await moderation.answer(services, MOD, a, "Завтра.")
    assert await _found(db, c) == [b]
    await groups.take_out(services, MOD, c, b)
    assert await _found(db, c) == []
    assert await _found(db, b) == [], "taken out of every group"
    assert await _found(db, d) == [], "alone in its hotline"
    assert f not in await _found(db, a)


async def test_a_group_reply_answers_each_waiting_member_once(db: Database, tmp_path: Path) -> None:
    services = Services(settings=settings_for(tmp_path), db=db, texts=Texts.load())
    heat = await _hotline(db, "Отопление")
    texts = [
        "Когда дадут горячую воду на Ленина 15?",
        "ленина 15 горячей воды нет третий день",
        "Нет горячей воды Ленина 15, когда включат?",
        "Ленина 15 горячая вода пропала",
    ]
    ids = [await _ask(services, heat, t, str(n)) for n, t in enumerate(texts)]
    anchor, *others = ids
    assert await groups.answer_all(services, MOD, anchor) == services.texts(
        "similar.group_on", count=4
    )
    await moderation.reject(services, MOD, others[0], "duplicate")
    outcome = await groups.answer(services, MOD, anchor, "Дадут в пятницу.")
    assert outcome.result is moderation.AnswerResult.ANSWERED
    async with db.read() as conn:
        rows = [await repo.get(conn, i) for i in ids]
        given = {i: await repo.answers_of(conn, i) for i in ids}
    assert [r.status for r in rows if r] == [
        QuestionStatus.ANSWERED,
        QuestionStatus.REJECTED,
        QuestionStatus.ANSWERED,
        QuestionStatus.ANSWERED,
    ]
    assert [len(given[i]) for i in ids] == [1, 0, 1, 1]
    assert all(a.moderator_id == MOD.id for i in ids for a in given[i])
    # A second reply by the same moderator corrects each answered member, no one else.
    again = await groups.answer(services, MOD, anchor, "Уточнение: в субботу.")
    assert again.result is moderation.AnswerResult.CORRECTED
    async with db.read() as conn:
        corrected = [len(await repo.answers_of(conn, i)) for i in ids]
    assert corrected == [2, 0, 2, 2]
    await groups.answer_one(services, MOD, anchor)
    async with db.read() as conn:
        assert await similar.members(conn, anchor) is None


async def test_forgotten_questions_leave_the_index(db: Database, tmp_path: Path) -> None:
    """Retention drops the index rows with the text they were made from."""
    services = Services(settings=settings_for(tmp_path), db=db, texts=Texts.load())
    heat = await _hotline(db, "Отопление")
    a = await _ask(services, heat, "Нет отопления Мира 45", "1")
    b = await _ask(services, heat, "мира 45 отопления нет", "2")
    assert await _found(db, b) == [a]
    async with db.write() as conn:
        await similar.forget(conn, [a])
    assert await _found(db, b) == []


async def test_the_first_search_waits_for_the_dictionaries_loading_in_a_thread(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As at start-up: ``warm()`` starts the load and returns; intake and the first search
    wait for it without holding up the event loop meanwhile."""
    services = Services(settings=settings_for(tmp_path), db=db, texts=Texts.load())
    heat = await _hotline(db, "Отопление")
    monkeypatch.setattr(lemmas, "_analyzer", None)  # restored after the test
    lemmas.lemma.cache_clear()
    lemmas.known.cache_clear()
    order: list[str] = []

    async def waiting() -> None:
        await lemmas.ready()
        order.append("loaded")

    async def meanwhile() -> None:
        order.append("the loop ran")

    lemmas.warm()
    await asyncio.gather(waiting(), meanwhile())
    assert order == ["the loop ran", "loaded"]

    monkeypatch.setattr(lemmas, "_analyzer", None)
    lemmas.lemma.cache_clear()
    lemmas.known.cache_clear()
    lemmas.warm()
    a = await _ask(services, heat, "Нет отопления в доме Мира 45, батареи холодные", "1")
    b = await _ask(services, heat, "мира 45 батареи холодные отопления нет", "2")
    assert await _found(db, b) == [a]


async def test_postgres_one_statement_reads_what_the_two_statements_read(db: Database) -> None:
    """PostgreSQL's one-statement search chooses the same retrieval terms (ties in the same
    order) and so the same candidates as the two statements SQLite runs, on every question
    of the labelled set; the two-statement read is checked on both engines by the rest."""
    if db.sqlite:
        pytest.skip("one statement is PostgreSQL's (LATERAL)")
    groups = await store(db, load())
    async with db.read() as conn:
        for qid in sorted(groups):
            assert await similar.in_one_statement(conn, qid) == await similar.in_two_statements(
                conn, qid
            ), qid
