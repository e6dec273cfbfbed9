"""Similar questions in the core, on both engines: what the index finds and what a group
reply answers (no chat here: the card path is covered end to end in test_similar_flow)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from shared import callbacks
from shared.clock import utcnow
from shared.domain import QuestionStatus
from shared.hotlines import campaigns, cards, groups, lemmas, moderation, similar
from shared.hotlines import questions as repo
from shared.hotlines.model import Moderator
from shared.services import Services
from shared.storage import citizens
from shared.storage.engine import Database
from shared.storage.schema import outbox
from shared.texts import Texts
from tests.harness import settings_for
from tests.similar_labelled import load, store

MOD = Moderator(7, "Мария", "tg:7")
OTHER = Moderator(8, "Олег", "tg:8")
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
    # Once answered, the group stays: a late «Ответить только на этот» is refused.
    refused = await groups.answer_one(services, MOD, anchor)
    assert refused == services.texts("moderation.already_closed")
    async with db.read() as conn:
        assert await similar.members(conn, anchor) is not None


WATER = [
    "Когда дадут горячую воду на Ленина 15?",
    "ленина 15 горячей воды нет третий день",
    "Нет горячей воды Ленина 15, когда включат?",
]


async def _card(services: Services, qid: int) -> tuple[str, list[callbacks.CallbackToken]]:
    """The question's card as drawn now: its text, and what each of its buttons means."""
    async with services.db.write() as conn:
        question = await repo.get(conn, qid)
        assert question is not None
        doc, rows = await cards.render(conn, services.settings, services.texts, question)
    async with services.db.read() as conn:
        tokens = [await callbacks.resolve(conn, b.token) for row in rows for b in row]
    return repr(doc), [t for t in tokens if t is not None]


async def _sends_to(db: Database, user: str) -> int:
    async with db.read() as conn:
        n = await conn.execute(
            select(func.count()).select_from(outbox).where(outbox.c.destination == user)
        )
        return int(n.scalar_one())


async def test_a_question_taken_out_is_answered_alone_even_if_its_own_card_had_a_group(
    db: Database, tmp_path: Path
) -> None:
    services = Services(settings=settings_for(tmp_path), db=db, texts=Texts.load())
    heat = await _hotline(db, "Отопление")
    a, b, c = [await _ask(services, heat, t, str(300 + n)) for n, t in enumerate(WATER)]
    await groups.answer_all(services, MOD, b)  # b's own card: answer all (a, c)
    await groups.answer_all(services, MOD, a)  # a's card: answer all (b, c)
    await groups.take_out(services, MOD, a, b)  # «Убрать №b» on a's card
    async with db.read() as conn:
        assert await similar.members(conn, b) is None
        assert await similar.members(conn, a) == [c]
    shown, tokens = await _card(services, b)
    assert "получат все" not in shown, "b's card names no group"
    assert "Похожие" not in shown, "nor look-alikes"
    assert not [t for t in tokens if t.action.startswith("mod.group")]
    await groups.answer(services, MOD, b, "Ответ только для этого вопроса.")
    async with db.read() as conn:
        assert [len(await repo.answers_of(conn, i)) for i in (a, b, c)] == [0, 1, 0]


async def test_pressing_answer_all_fixes_the_group_the_card_showed(
    db: Database, tmp_path: Path
) -> None:
    """A question arriving after the card was drawn joins no group unseen; one answered,
    rejected or taken out since the card was drawn is left out."""
    services = Services(settings=settings_for(tmp_path), db=db, texts=Texts.load())
    heat = await _hotline(db, "Отопление")
    a = await _ask(services, heat, WATER[0], "401")
    b = await _ask(services, heat, WATER[1], "402")
    _, tokens = await _card(services, b)
    (button,) = [t for t in tokens if t.action == "mod.group_all"]
    assert button.data["ids"] == [a]  # «Похожие: №a», «Ответить всем (2)»
    c = await _ask(services, heat, WATER[2], "403")  # arrives; b's card is not redrawn
    said = await groups.answer_all(services, MOD, b, button.data["ids"])
    assert said == services.texts("similar.group_on", count=2)
    async with db.read() as conn:
        assert await similar.members(conn, b) == [a], f"№{c} was never on the card"
    # The card now shows c as well; it is rejected before the moderator presses.
    await groups.answer_one(services, MOD, b)
    _, tokens = await _card(services, b)
    (button,) = [t for t in tokens if t.action == "mod.group_all"]
    assert button.data["ids"] == [a, c] or button.data["ids"] == [c, a]
    await moderation.reject(services, MOD, c, "duplicate")
    assert await groups.answer_all(services, MOD, b, button.data["ids"]) == services.texts(
        "similar.group_on", count=2
    )
    async with db.read() as conn:
        assert await similar.members(conn, b) == [a]
    await moderation.answer(services, MOD, a, "Завтра.")
    assert await groups.answer_all(services, MOD, b, [a]) == services.texts("similar.none")


async def test_done_card_does_not_claim_a_member_got_this_answer_when_another_moderator_answered_it(
    db: Database, tmp_path: Path
) -> None:
    services = Services(settings=settings_for(tmp_path), db=db, texts=Texts.load())
    heat = await _hotline(db, "Отопление")
    a, b, c = [await _ask(services, heat, t, str(200 + n)) for n, t in enumerate(WATER)]
    await groups.answer_all(services, MOD, a)
    other = await moderation.answer(services, OTHER, b, "Олег: вода будет в понедельник.")
    assert other.result is moderation.AnswerResult.ANSWERED
    await groups.answer(services, MOD, a, "Мария: дадут в пятницу.")
    async with db.read() as conn:
        assert [x.moderator_id for x in await repo.answers_of(conn, b)] == [OTHER.id]
        assert [x.moderator_id for x in await repo.answers_of(conn, c)] == [MOD.id]
    shown, _ = await _card(services, a)
    assert services.texts("similar.card_group_done", tickets=f"№{c}") in shown


async def test_one_citizen_asking_twice_gets_the_group_answer_once(
    db: Database, tmp_path: Path
) -> None:
    services = Services(settings=settings_for(tmp_path), db=db, texts=Texts.load())
    heat = await _hotline(db, "Отопление")
    a = await _ask(services, heat, WATER[0], "101")
    b = await _ask(services, heat, WATER[1], "102")
    c = await _ask(services, heat, WATER[2], "102")  # the same citizen writes again
    d = await _ask(services, heat, "Ленина 15 горячая вода пропала", "101")  # and the first
    assert await groups.answer_all(services, MOD, a) == services.texts("similar.group_on", count=4)
    await groups.answer(services, MOD, a, "Дадут в пятницу.")
    assert (await _sends_to(db, "101"), await _sends_to(db, "102")) == (1, 1)
    async with db.read() as conn:
        rows = [await repo.get(conn, i) for i in (a, b, c, d)]
        given = {i: await repo.answers_of(conn, i) for i in (a, b, c, d)}
    assert all(r is not None and r.status is QuestionStatus.ANSWERED for r in rows)
    assert all(len(given[i]) == 1 and given[i][0].moderator_id == MOD.id for i in given)
    # Each answer points at the one delivery its citizen gets (the card shows its fate).
    assert given[a][0].outbox_id == given[d][0].outbox_id is not None
    assert given[b][0].outbox_id == given[c][0].outbox_id is not None
    # A correction, too, reaches each citizen once; each question keeps it.
    await groups.answer(services, MOD, a, "Уточнение: в субботу.")
    assert (await _sends_to(db, "101"), await _sends_to(db, "102")) == (2, 2)
    async with db.read() as conn:
        assert [len(await repo.answers_of(conn, i)) for i in (a, b, c, d)] == [2, 2, 2, 2]


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
