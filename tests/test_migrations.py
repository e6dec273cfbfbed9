"""Alembic: one linear history, databases made while it had two heads still upgrade, and
data a migration moves lands where it should."""

from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from shared.clock import utcnow
from shared.hotlines import questions
from shared.storage import schema
from shared.storage.engine import Database
from shared.storage.migrate import (
    NewerDatabase,
    alembic_config,
    check_revision,
    drift,
    upgrade,
)


def test_the_real_migrations_have_one_head() -> None:
    """Two helpers adding migrations at once produce two heads; this catches it."""
    script = ScriptDirectory.from_config(alembic_config())
    heads = script.get_heads()
    assert len(heads) == 1, f"more than one Alembic head: {heads}; make one revise the other"
    # Every revision is on the one line from base to head.
    line = [r.revision for r in script.walk_revisions()]
    assert len(line) == len(list(script.revision_map.iterate_revisions(heads[0], "base")))


async def _versions(db: Database) -> list[str]:
    async with db.read() as conn:
        rows = await conn.execute(text("SELECT version_num FROM alembic_version"))
        return sorted(r[0] for r in rows)


async def test_a_database_stamped_with_both_old_heads_upgrades(empty_db: Database) -> None:
    """0002 and 0003 used to be two branches: such databases hold both in alembic_version."""
    await upgrade(empty_db, "0003")
    async with empty_db.write() as conn:
        await conn.execute(text("INSERT INTO alembic_version (version_num) VALUES ('0002')"))
    assert await _versions(empty_db) == ["0002", "0003"]

    await upgrade(empty_db)

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert await _versions(empty_db) == [head]
    assert await drift(empty_db) == []
    await upgrade(empty_db)  # and again: nothing to do
    assert await _versions(empty_db) == [head]


async def test_answers_get_their_reply_message_from_the_audit_log(empty_db: Database) -> None:
    """0015 moved "which moderator message sent this answer" from the audit log's details
    into the answer: answers given before it are still matched to their edits."""
    await upgrade(empty_db, "0014")
    now = utcnow()
    async with empty_db.write() as conn:
        await conn.execute(
            schema.hotlines.insert().values(
                id=1, topic="Отопление", starts_at=now, ends_at=now, status="open",
                created_by="tg:7", created_at=now,
            )
        )  # fmt: skip
        await conn.execute(
            schema.citizens.insert().values(
                id=1, platform="p", platform_user_id="1", created_at=now
            )
        )
        await conn.execute(
            schema.questions.insert().values(
                id=1, citizen_id=1, hotline_id=1, text="Когда дадут тепло?", status="answered",
                created_at=now,
            )
        )  # fmt: skip
        given = [(1, "question.answer", 501), (2, "question.correct", 502), (3, None, None)]
        for answer_id, action, reply in given:
            await conn.execute(
                schema.answers.insert().values(
                    id=answer_id, question_id=1, moderator_id=7, moderator_name="Мария",
                    text="Ответ", is_correction=answer_id == 2, created_at=now,
                )
            )  # fmt: skip
            if action is not None:  # the third was given before replies were written down
                await conn.execute(
                    schema.audit_log.insert().values(
                        at=now, actor="tg:7", action=action, target_type="question",
                        target_id="1", details={"answer_id": answer_id, "reply": reply},
                    )
                )  # fmt: skip

    await upgrade(empty_db)

    async with empty_db.read() as conn:
        kept = {a.id: a.reply_message_id for a in await questions.answers_of(conn, 1)}
        assert kept == {1: 501, 2: 502, 3: None}
        latest = await questions.last_answer_by_reply(conn, 1, 502)
        assert latest is not None
        assert latest.id == 2
    assert await drift(empty_db) == []


async def test_the_search_index_is_rebuilt_with_yo_folded(empty_db: Database) -> None:
    """0016 folds «ё» to «е» in the SQLite search index: releases stored before it are found
    by «елка» once it has run (PostgreSQL's stemmer folds «ё» by itself)."""
    from shared.richtext import from_plain
    from web import search

    await upgrade(empty_db, "0015")
    now = utcnow()
    async with empty_db.write() as conn:
        await conn.execute(
            schema.posts.insert().values(
                id=1, title="Новогодняя ёлка", body=from_plain("Учёт подарков").to_json(),
                kind="press_release", status="published", platforms=["vk"], created_by="test",
                version=1, created_at=now, updated_at=now, published_at=now,
            )
        )  # fmt: skip

    await upgrade(empty_db)

    async with empty_db.read() as conn:
        for query in ("елка", "ёлка", "учет", "учёт"):
            match = await search.condition(conn, query)
            found = await conn.execute(schema.posts.select().where(match))
            assert [row.id for row in found] == [1], query
    assert await drift(empty_db) == []


async def test_waiting_questions_are_indexed_again_with_numbers_in_their_roles(
    empty_db: Database,
) -> None:
    """0017: questions indexed with bare numbers are indexed again as intake indexes them
    today, so an old «д 60, кв 4» is no longer grouped with a new «д 4, кв 60»; an
    answered question's rows and a question's group are left as they were."""
    from shared.hotlines import lemmas, similar

    await upgrade(empty_db, "0016")
    now = utcnow()
    asked = {1: "Нет отопления, Ленина д 60, кв 4", 2: "Нет отопления, Ленина д 4, кв 60"}
    async with empty_db.write() as conn:
        await conn.execute(
            schema.hotlines.insert().values(
                id=1, topic="Отопление", starts_at=now, ends_at=now, status="open",
                created_by="test", created_at=now,
            )
        )  # fmt: skip
        await conn.execute(
            schema.citizens.insert().values(
                id=1, platform="telegram", platform_user_id="1", created_at=now
            )
        )
        for qid, status in ((1, "new"), (2, "new"), (3, "answered")):
            await conn.execute(
                schema.questions.insert().values(
                    id=qid, citizen_id=1, hotline_id=1, text=asked.get(qid, "Ленина 60"),
                    status=status, created_at=now,
                )
            )  # fmt: skip
            old = ["отопление", "ленина", "60", "4"]  # as the index stored numbers before
            await conn.execute(
                schema.question_similar.insert().values(
                    question_id=qid, lemmas=" ".join(old), apart=False,
                    group_ids=[2] if qid == 1 else None,
                )
            )  # fmt: skip
            for word in old:
                await conn.execute(
                    schema.question_terms.insert().values(hotline_id=1, term=word, question_id=qid)
                )

    await upgrade(empty_db)

    async with empty_db.read() as conn:
        rows = {r.question_id: r for r in await conn.execute(schema.question_similar.select())}
        terms = await conn.execute(
            text("SELECT question_id, term FROM question_terms ORDER BY question_id, term")
        )
        held: dict[int, set[str]] = {}
        for qid, found in terms:
            held.setdefault(qid, set()).add(found)
        for qid in (1, 2):
            words = lemmas.lemmas(asked[qid])
            assert rows[qid].lemmas == " ".join(words)
            assert held[qid] == {lemmas.term(w) for w in words}
        assert rows[1].group_ids == [2], "the group is kept"
        assert rows[3].lemmas == "отопление ленина 60 4", "an answered question is left"
        assert held[3] == {"отопление", "ленина", "60", "4"}
        found = await similar.find(conn, 2, 0.35)
    assert [m.question_id for m in found] == []
    assert await drift(empty_db) == []


async def test_a_database_from_a_newer_release_is_refused_in_words(empty_db: Database) -> None:
    """A later release's revision, after a roll-back: one sentence, not Alembic's traceback."""
    await upgrade(empty_db)
    await check_revision(empty_db)  # its own revision: nothing to say
    async with empty_db.write() as conn:
        await conn.execute(text("UPDATE alembic_version SET version_num = '0099_later'"))

    for attempt in (upgrade(empty_db), check_revision(empty_db)):
        with pytest.raises(NewerDatabase) as caught:
            await attempt
        assert caught.value.revisions == ["0099_later"]
        assert "более новой версией Глашатая (ревизия 0099_later)" in str(caught.value)
    assert await _versions(empty_db) == ["0099_later"]  # and nothing was changed
