"""Personal data retired (152-ФЗ), on both engines: after the job nothing personal remains.

Each test ends by reading every table of the database (every column of every row, the
search tables too) and looking for the citizen's name and platform ids, and by finding
every table that refers to citizens (a foreign key to ``citizens.id`` or a column named
for a citizen) and counting the erased citizen's rows there: only the tables in ``MAY_POINT``
may keep any. A new table with personal data fails these tests until erasure handles it.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, inspect, select, text, update

from shared.alerts import subscriptions
from shared.clock import utcnow
from shared.domain import HotlineStatus, OutboxState, QuestionStatus
from shared.hotlines import cards, moderation, retention
from shared.hotlines import questions as repo
from shared.hotlines.conversation import Conversation
from shared.hotlines.model import Incoming, Moderator
from shared.hotlines.retention import RetentionPlanner
from shared.outbox import store
from shared.richtext import from_plain
from shared.services import Services
from shared.storage import audit, citizens, media
from shared.storage.engine import Database
from shared.storage.media import MediaOwner
from shared.storage.schema import citizens as citizens_table
from shared.storage.schema import hotlines, incoming_seen, outbox, reminders
from shared.storage.schema import media as media_table
from shared.storage.schema import questions as questions_table
from shared.texts import Texts
from tests.harness import photo_file, settings_for

FIRST, LAST = "Евлампия", "Кукушкина"
USER_ID = "987654321"
OTHER_ID = "123450987"
ADMIN = {"telegram": {"token": "123456:TEST-token", "admin_chat_id": -1001}}
MOD = Moderator(5001, "Мария", "tg:5001")
# Tables whose rows may still refer to an erased citizen, and why.
MAY_POINT = {
    "questions": "kept for the archive and the paper, with nobody's name on them",
    "outbox": "the record that a send happened, emptied by the outbox's erasure",
}


def services_on(db: Database, tmp_path: Path) -> Services:
    return Services(settings=settings_for(tmp_path, overrides=ADMIN), db=db, texts=Texts.load())


async def everything(db: Database) -> str:
    """Every value of every row of every table, as one text."""
    async with db.read() as conn:
        names = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
        out: list[str] = []
        for name in names:
            for row in await conn.execute(text(f'SELECT * FROM "{name}"')):
                for value in row:
                    if isinstance(value, bytes | bytearray | memoryview):
                        out.append(bytes(value).decode("latin-1"))
                    elif isinstance(value, dict | list):
                        out.append(json.dumps(value, ensure_ascii=False))
                    else:
                        out.append(readable(str(value)))
    return "\n".join(out)


def readable(value: str) -> str:
    """JSON as SQLite keeps it (non-ASCII escaped as \\uXXXX) read back into plain text."""
    if value[:1] in "[{":
        try:
            return json.dumps(json.loads(value), ensure_ascii=False)
        except ValueError:
            return value
    return value


async def assert_nobody(db: Database, *needles: str) -> None:
    found = await everything(db)
    for needle in needles:
        assert needle not in found, f"{needle!r} is still stored"


def _citizen_columns(sync: Any) -> dict[str, list[str]]:
    """Each table's columns that refer to a citizen: by foreign key, or by name (any
    column whose name says "citizen", so a new table without the key is found too)."""
    found: dict[str, list[str]] = {}
    schema = inspect(sync)
    for name in schema.get_table_names():
        columns = {
            fk["constrained_columns"][0]
            for fk in schema.get_foreign_keys(name)
            if fk["referred_table"] == "citizens"
        }
        columns |= {c["name"] for c in schema.get_columns(name) if "citizen" in c["name"]}
        if columns:
            found[name] = sorted(columns)
    return found


async def pointing_at(db: Database, citizen_id: int) -> dict[str, int]:
    """How many rows of each table still refer to this citizen (tables with none left out)."""
    counts: dict[str, int] = {}
    async with db.read() as conn:
        tables = await conn.run_sync(_citizen_columns)
        assert {"alert_subscriptions", "questions", "outbox"} <= set(tables)  # found by the check
        for name, columns in tables.items():
            where = " OR ".join(f'"{c}" = :citizen' for c in columns)
            query = text(f'SELECT count(*) FROM "{name}" WHERE {where}')
            found = (await conn.execute(query, {"citizen": citizen_id})).scalar_one()
            if found:
                counts[name] = int(found)
    return counts


async def assert_erased(db: Database, citizen: citizens.Citizen, *needles: str) -> None:
    """Nothing names the citizen, and only ``MAY_POINT`` tables still refer to them."""
    await assert_nobody(db, *needles)
    left = {t: n for t, n in (await pointing_at(db, citizen.id)).items() if t not in MAY_POINT}
    assert left == {}, f"rows still refer to the erased citizen: {left}"
    async with db.read() as conn:
        row = await citizens.get(conn, citizen.id)
    assert row is not None
    assert row.platform_user_id == f"{retention.ERASED}{citizen.id}"
    assert row.display_name is None


async def consented(
    db: Database, user_id: str, name: str, at: datetime | None = None
) -> citizens.Citizen:
    """A citizen who consented (first wrote, and consented) ``at``, now by default."""
    at = at or utcnow()
    async with db.write() as conn:
        citizen = await citizens.get_or_create(conn, "telegram", user_id)
        await conn.execute(
            update(citizens_table)
            .where(citizens_table.c.id == citizen.id)
            .values(consent_at=at, created_at=at, display_name=name, state="ask")
        )
        found = await citizens.get(conn, citizen.id)
    assert found is not None
    return found


async def hotline(db: Database, ends_at: datetime, status: HotlineStatus) -> int:
    async with db.write() as conn:
        result = await conn.execute(
            hotlines.insert()
            .values(
                topic="Отопление",
                description="",
                starts_at=ends_at - timedelta(hours=2),
                ends_at=ends_at,
                status=status.value,
                announced=True,
                summary_sent=True,
                created_by="test",
                created_at=ends_at,
            )
            .returning(hotlines.c.id)
        )
        return int(result.scalar_one())


async def question(
    services: Services, citizen: citizens.Citizen, hotline_id: int | None, words: str
) -> int:
    """A question with a photo and its card in the admin chat, the card delivered."""
    async with services.db.write() as conn:
        question_id = await repo.add(conn, citizen_id=citizen.id, hotline_id=hotline_id, text=words)
        ids = await media.add_all(conn, MediaOwner.QUESTION, question_id, [photo_file()])
        await repo.set_fields(conn, question_id, attachments=ids)
        found = await repo.get(conn, question_id)
        assert found is not None
        card = await cards.enqueue_card(conn, services.settings, services.texts, found)
        assert card is not None
        shown = {"message_ids": [card + 100], "text_message_ids": [card + 100]}
        await store.finish(conn, card, OutboxState.SENT, result=shown)
        item = await store.get(conn, card)
        assert item is not None
        await cards.remember(conn, item)  # the card hook's part: its messages are known
    return question_id


async def sent(db: Database, item_id: int) -> None:
    async with db.write() as conn:
        await store.finish(conn, item_id, OutboxState.SENT, result={"chat_id": int(USER_ID)})


async def test_retired_after_the_digest_nothing_personal_remains(
    db: Database, tmp_path: Path
) -> None:
    services = services_on(db, tmp_path)
    now = utcnow()
    closed = await hotline(db, now - timedelta(days=2), HotlineStatus.CLOSED)
    still_open = await hotline(db, now + timedelta(hours=1), HotlineStatus.OPEN)
    anna = await consented(db, USER_ID, f"{FIRST} {LAST}")
    other = await consented(db, OTHER_ID, "Пантелеймон Огурцов")
    answered = await question(services, anna, closed, "Когда дадут тепло в доме 5?")
    await question(services, anna, closed, "И в подъезде холодно")
    await question(services, other, closed, "У нас тоже холодно")
    await question(services, other, still_open, "А горячая вода когда?")
    outcome = await moderation.answer(services, MOD, answered, "Тепло дадут в пятницу.")
    assert outcome.result.value == "answered"
    async with db.read() as conn:
        answer_row = (await repo.answers_of(conn, answered))[0]
    assert answer_row.outbox_id is not None
    await sent(db, answer_row.outbox_id)
    async with db.write() as conn:
        await audit.record(conn, MOD.actor, "hotline.digest", "hotline", closed, entries=1)
    digest_at = utcnow()
    planner = RetentionPlanner(services)

    await planner.run_due(digest_at + timedelta(days=29))
    assert FIRST in await everything(db)
    due = digest_at + timedelta(days=30)
    assert await planner.upcoming(due - timedelta(minutes=1), due + timedelta(minutes=1))

    await planner.run_due(due + timedelta(minutes=1))
    await assert_erased(db, anna, FIRST, LAST, USER_ID, "Пантелеймон", "Огурцов")
    async with db.read() as conn:
        kept = await repo.get(conn, answered)
        photos = await conn.execute(select(func.count()).select_from(media_table))
        other_row = await citizens.get(conn, other.id)
        answers = await repo.answers_of(conn, answered)
        entries = await audit.entries(conn, "hotline", closed)
    assert kept is not None
    assert kept.text == "Когда дадут тепло в доме 5?"
    assert kept.attachments == []
    assert [a.text for a in answers] == ["Тепло дадут в пятницу."]
    assert photos.scalar_one() == 1  # the photo of the question to the open hotline
    # Active in a hotline still kept: the platform id stays, the name goes.
    assert other_row is not None
    assert other_row.platform_user_id == OTHER_ID
    assert other_row.display_name is None
    assert entries[-1]["action"] == "hotline.retire"
    assert entries[-1]["details"] == {"questions": 3, "citizens": 2, "erased": 1}
    # The cards are edited to show the questions without a name.
    async with db.read() as conn:
        edits = await store.by_ref(conn, "card_edit", answered)
    assert edits
    assert edits[-1].state is OutboxState.PENDING


async def test_without_a_digest_the_period_counts_from_the_close(
    db: Database, tmp_path: Path
) -> None:
    services = services_on(db, tmp_path)
    ended = utcnow() - timedelta(days=31)
    closed = await hotline(db, ended, HotlineStatus.CLOSED)
    anna = await consented(db, USER_ID, f"{FIRST} {LAST}", at=ended - timedelta(hours=1))
    await question(services, anna, closed, "Где тепло?")
    planner = RetentionPlanner(services)
    await planner.run_due(ended + timedelta(days=29))
    assert LAST in await everything(db)
    await planner.run_due(utcnow())
    await assert_erased(db, anna, FIRST, LAST, USER_ID)
    # Done once: a second run finds nothing due.
    async with db.read() as conn:
        assert await retention.due_times(conn, services.settings.hotline) == {}


async def test_withdrawal_deletes_at_once_and_cancels_pending_sends(
    db: Database, tmp_path: Path
) -> None:
    services = services_on(db, tmp_path)
    open_now = await hotline(db, utcnow() + timedelta(hours=1), HotlineStatus.OPEN)
    anna = await consented(db, USER_ID, f"{FIRST} {LAST}")
    answered = await question(services, anna, open_now, "Когда дадут тепло?")
    waiting = await question(services, anna, open_now, "Меня зовут Евлампия, дом 7")
    async with db.write() as conn:
        for topic in ("emergency", "news"):
            assert await subscriptions.subscribe(conn, anna.id, topic)
    await moderation.answer(services, MOD, answered, "В пятницу.")
    async with db.read() as conn:
        answer_row = (await repo.answers_of(conn, answered))[0]
    assert answer_row.outbox_id is not None  # pending: the outbox is not running here
    async with db.write() as conn:
        # A send whose call is out at the moment of withdrawal (claimed by the outbox).
        citizen = await citizens.get(conn, anna.id)
        assert citizen is not None
        in_flight = await moderation.to_citizen(
            conn, citizen, from_plain("Уточните адрес"), ref_type="citizen"
        )
        assert await store.claim(conn, in_flight) is not None

    await Conversation(services).message(
        Incoming(platform="telegram", user_id=USER_ID, peer=USER_ID, text="Удалить мои данные")
    )
    async with db.read() as conn:
        cancelled = await store.get(conn, answer_row.outbox_id)
        kept = await repo.get(conn, answered)
        emptied = await repo.get(conn, waiting)
        confirmation = await conn.execute(
            select(outbox.c.id, outbox.c.destination, outbox.c.state).where(
                outbox.c.ref_type == retention.PrivacyRef.FORGOTTEN.value
            )
        )
        (confirm_id, destination, state), *_ = confirmation.all()
    assert cancelled is not None
    assert cancelled.state is OutboxState.CANCELLED
    assert kept is not None
    assert kept.status is QuestionStatus.ANSWERED
    assert kept.text == "Когда дадут тепло?"
    assert emptied is not None
    assert emptied.status is QuestionStatus.REJECTED
    assert emptied.reject_reason == retention.WITHDRAWN
    assert (destination, state) == (USER_ID, OutboxState.PENDING.value)

    # The confirmation is delivered; its outcome's hook forgets where it went.
    async with db.write() as conn:
        await store.finish(conn, confirm_id, OutboxState.SENT, result={"chat_id": int(USER_ID)})
        item = await store.get(conn, confirm_id)
        assert item is not None
        await retention.on_confirmation(conn, item)
        # The send that was out finishes afterwards, naming the chat in its result.
        await store.finish(conn, in_flight, OutboxState.SENT, result={"chat_id": int(USER_ID)})
    assert USER_ID in await everything(db)
    await RetentionPlanner(services).run_due(utcnow())  # the daily sweep empties it
    await assert_erased(db, anna, FIRST, LAST, USER_ID)
    async with db.read() as conn:
        log = await audit.entries(conn)
    assert log[-1]["action"] == "citizen.withdraw"
    assert log[-1]["target_id"] is None
    assert log[-1]["details"] == {"emptied": 1, "kept": 1}


async def test_a_subscriber_keeps_the_platform_id_the_notices_need(
    db: Database, tmp_path: Path
) -> None:
    """An alert subscription is a consent of its own: the hotline's retirement takes the
    name, not the subscription nor the chat the notices go to."""
    services = services_on(db, tmp_path)
    ended = utcnow() - timedelta(days=31)
    closed = await hotline(db, ended, HotlineStatus.CLOSED)
    asked = ended - timedelta(hours=1)
    anna = await consented(db, USER_ID, f"{FIRST} {LAST}", at=asked)
    other = await consented(db, OTHER_ID, "Пантелеймон Огурцов", at=asked)
    await question(services, anna, closed, "Где тепло?")
    await question(services, other, closed, "И у нас холодно")
    async with db.write() as conn:
        assert await subscriptions.subscribe(conn, anna.id, "emergency")
    await RetentionPlanner(services).run_due(utcnow())
    await assert_erased(db, other, "Пантелеймон", "Огурцов", OTHER_ID)
    await assert_nobody(db, FIRST, LAST)
    async with db.read() as conn:
        kept = await citizens.get(conn, anna.id)
        topics = await subscriptions.of_citizen(conn, anna.id)
        audience = await subscriptions.after(conn, "emergency", 0, 10)
    assert kept is not None
    assert (kept.platform_user_id, kept.display_name) == (USER_ID, None)
    assert topics == {"emergency"}
    assert [(s.citizen_id, s.destination) for s in audience] == [(anna.id, USER_ID)]


async def test_message_ids_go_with_the_citizen_and_after_a_week(
    db: Database, tmp_path: Path
) -> None:
    """A message delivered again is skipped by its id; those ids name a chat, so they go
    with the citizen's withdrawal, and the daily sweep forgets any older than a week."""
    services = services_on(db, tmp_path)
    await hotline(db, utcnow() + timedelta(hours=1), HotlineStatus.OPEN)
    anna = await consented(db, USER_ID, f"{FIRST} {LAST}")
    await consented(db, OTHER_ID, "Пётр Петров")
    talk = Conversation(services)

    def said(user: str, words: str, message_id: str) -> Incoming:
        return Incoming(
            platform="telegram", user_id=user, peer=user, text=words, message_id=message_id
        )

    await talk.message(said(USER_ID, "Когда дадут тепло?", "10"))
    await talk.message(said(USER_ID, "Когда дадут тепло?", "10"))  # delivered again
    await talk.message(said(OTHER_ID, "Где автобус?", "10"))  # the same id in another chat
    async with db.write() as conn:
        asked = await conn.execute(select(questions_table.c.text).order_by(questions_table.c.id))
        assert list(asked.scalars()) == ["Когда дадут тепло?", "Где автобус?"]
        await conn.execute(
            update(incoming_seen)
            .where(incoming_seen.c.peer == OTHER_ID)
            .values(seen_at=utcnow() - timedelta(days=8))
        )
    await RetentionPlanner(services).run_due(utcnow())
    assert await _seen_peers(db) == [USER_ID]
    await talk.message(said(USER_ID, "Удалить мои данные", "11"))
    assert await _seen_peers(db) == []
    await assert_erased(db, anna, FIRST, LAST)


async def _seen_peers(db: Database) -> list[str]:
    async with db.read() as conn:
        found = await conn.execute(select(incoming_seen.c.peer))
        return sorted(found.scalars())


async def answer_goes_to(db: Database, services: Services, question_id: int) -> str:
    """Where the moderator's answer to the question is queued (the citizen's chat, or an
    erased one's nothing)."""
    await moderation.answer(services, MOD, question_id, "Тепло дадут в пятницу.")
    async with db.read() as conn:
        rows = await conn.execute(select(outbox.c.destination).where(outbox.c.ref_type == "answer"))
        return [r.destination for r in rows][-1]


async def test_a_question_still_waiting_keeps_its_citizen_until_the_answer_by_time(
    db: Database, tmp_path: Path
) -> None:
    """Closed 31 days ago with /answer_days 60: retention's 30 days are over, the
    question's deadline is not; erased now, the citizen's answer would go nowhere."""
    services = services_on(db, tmp_path)
    ended = utcnow() - timedelta(days=31)
    closed = await hotline(db, ended, HotlineStatus.CLOSED)
    async with db.write() as conn:
        await conn.execute(update(hotlines).where(hotlines.c.id == closed).values(answer_days=60))
    anna = await consented(db, USER_ID, f"{FIRST} {LAST}", at=ended - timedelta(hours=1))
    question_id = await question(services, anna, closed, "Где тепло?")
    planner = RetentionPlanner(services)
    await planner.run_due(utcnow())
    assert await answer_goes_to(db, services, question_id) == USER_ID
    # Answered, and past its answer-by time: retired as usual.
    await planner.run_due(ended + timedelta(days=61))
    await assert_erased(db, anna, FIRST, LAST, USER_ID)


async def test_a_digest_made_while_the_hotline_was_open_counts_from_the_close(
    db: Database, tmp_path: Path
) -> None:
    services = services_on(db, tmp_path)
    now = utcnow()
    closed = await hotline(db, now - timedelta(hours=1), HotlineStatus.CLOSED)
    async with db.write() as conn:
        await audit.record(conn, "tg:1", retention.DIGEST_ACTION, "hotline", closed)
        await conn.execute(
            text("UPDATE audit_log SET at = :at WHERE action = :action"),
            {"at": now - timedelta(days=40), "action": retention.DIGEST_ACTION},
        )
    anna = await consented(db, USER_ID, f"{FIRST} {LAST}")
    question_id = await question(services, anna, closed, "Где скамейки?")
    await RetentionPlanner(services).run_due(now)
    assert await answer_goes_to(db, services, question_id) == USER_ID
    async with db.read() as conn:
        due = await retention.due_times(conn, services.settings.hotline)
    assert due[closed] >= now + timedelta(days=29)  # 30 days from the close, not the digest


# --- citizens no hotline retires: forgotten once nothing holds them -----------------------

DRAFT = "Когда починят дорогу на Ленина?"


def said(user: str, words: str) -> Incoming:
    return Incoming(platform="telegram", user_id=user, peer=user, text=words)


async def retire_entries(db: Database) -> list[dict[str, Any]]:
    async with db.read() as conn:
        return [e for e in await audit.entries(conn) if e["action"] == retention.IDLE_ACTION]


async def test_a_citizen_nothing_holds_is_forgotten_after_the_period(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No hotline's retirement reaches a citizen who consented and never asked, one whose
    question waits as a draft for a hotline to be picked, or one whose general question
    was answered long ago: the daily sweep forgets each ``RETENTION_DAYS`` after their
    last activity. A general question still waiting keeps its citizen; a subscriber keeps
    what the notices need, not the name. (Two a transaction here: the sweep goes on
    until a batch is not full.)"""
    monkeypatch.setattr(retention, "IDLE_BATCH", 2)
    services = services_on(db, tmp_path)
    for _ in range(2):  # two open: a question waits as a draft until one is picked
        await hotline(db, utcnow() + timedelta(hours=1), HotlineStatus.OPEN)
    silent = await consented(db, USER_ID, f"{FIRST} {LAST}")
    drafting = await consented(db, OTHER_ID, "Пантелеймон Огурцов")
    await Conversation(services).message(said(OTHER_ID, DRAFT))
    async with db.write() as conn:
        await media.add_all(conn, MediaOwner.QUESTION_DRAFT, drafting.id, [photo_file()])
    asked = await consented(db, "555000111", "Агриппина Сидорова")
    answered = await question(services, asked, None, "Где купить проездной?")
    await moderation.answer(services, MOD, answered, "В любом киоске.")
    waits = await consented(db, "555000222", "Фёкла Петрова")
    waiting = await question(services, waits, None, "Когда откроют поликлинику?")
    subscriber = await consented(db, "555000333", "Акакий Башмачкин")
    async with db.write() as conn:
        assert await subscriptions.subscribe(conn, subscriber.id, "emergency")
        drafted = await citizens.get(conn, drafting.id)
    assert drafted is not None
    assert drafted.state == "choose"
    planner = RetentionPlanner(services)

    await planner.run_due(utcnow() + timedelta(days=29))
    found = await everything(db)
    assert all(n in found for n in (FIRST, "Пантелеймон", DRAFT, "Агриппина", "Акакий"))

    await planner.run_due(utcnow() + timedelta(days=31))
    await assert_erased(db, silent, FIRST, LAST, USER_ID)
    await assert_erased(db, drafting, "Пантелеймон", "Огурцов", OTHER_ID, DRAFT)
    await assert_erased(db, asked, "Агриппина", "Сидорова", "555000111")
    async with db.read() as conn:
        kept = await repo.get(conn, answered)
        still = await citizens.get(conn, waits.id)
        subscribed = await citizens.get(conn, subscriber.id)
        topics = await subscriptions.of_citizen(conn, subscriber.id)
        photos = await conn.execute(
            select(media_table.c.owner_type, media_table.c.owner_id).where(
                media_table.c.owner_type == MediaOwner.QUESTION
            )
        )
    # The general question stays for the archive, with nobody's name and no photo.
    assert kept is not None
    assert (kept.text, kept.attachments) == ("Где купить проездной?", [])
    assert [tuple(p) for p in photos] == [(MediaOwner.QUESTION, waiting)]
    assert still is not None
    assert (still.platform_user_id, still.display_name) == ("555000222", "Фёкла Петрова")
    assert subscribed is not None
    assert (subscribed.platform_user_id, subscribed.display_name) == ("555000333", None)
    assert topics == {"emergency"}
    assert "Акакий" not in await everything(db)
    entries = await retire_entries(db)
    assert [e["details"] for e in entries] == [
        {"erased": 2, "unnamed": 1},
        {"erased": 1, "unnamed": 0},
    ]
    assert {e["target_id"] for e in entries} == {None}
    await planner.run_due(utcnow() + timedelta(days=32))  # nothing more to forget
    assert len(await retire_entries(db)) == 2


async def test_an_old_hotline_retired_keeps_a_citizen_writing_now(
    db: Database, tmp_path: Path
) -> None:
    """The citizen of a hotline retired today is drafting a question to the hotlines open
    now: they keep their conversation (the draft, the chat) and lose only the name, until
    they have been silent for the retention period."""
    services = services_on(db, tmp_path)
    ended = utcnow() - timedelta(days=40)
    closed = await hotline(db, ended, HotlineStatus.CLOSED)
    for _ in range(2):
        await hotline(db, utcnow() + timedelta(hours=1), HotlineStatus.OPEN)
    anna = await consented(db, USER_ID, f"{FIRST} {LAST}", at=ended - timedelta(hours=1))
    await question(services, anna, closed, "Когда дадут тепло?")
    await Conversation(services).message(said(USER_ID, DRAFT))
    planner = RetentionPlanner(services)

    await planner.run_due(utcnow())
    async with db.read() as conn:
        kept = await citizens.get(conn, anna.id)
        retired = await conn.execute(select(hotlines.c.retired_at).where(hotlines.c.id == closed))
    assert retired.scalar_one() is not None
    assert kept is not None
    assert (kept.platform_user_id, kept.display_name, kept.state) == (USER_ID, None, "choose")
    assert kept.state_data["draft"]["text"] == DRAFT
    await assert_nobody(db, FIRST, LAST)

    await planner.run_due(utcnow() + timedelta(days=31))
    await assert_erased(db, anna, USER_ID, DRAFT)


async def test_a_card_edit_out_at_the_withdrawal_is_emptied_by_the_next_run(
    db: Database, tmp_path: Path
) -> None:
    """A card's edit (naming the citizen) and a send to the citizen have their calls out
    when the citizen withdraws: both finish as they are (the send is even put back for a
    retry), and the next retention run, not only the daily sweep, empties them."""
    services = services_on(db, tmp_path)
    open_now = await hotline(db, utcnow() + timedelta(hours=1), HotlineStatus.OPEN)
    anna = await consented(db, USER_ID, f"{FIRST} {LAST}")
    asked = await question(services, anna, open_now, "Холодно, звоните +79991234567")
    planner = RetentionPlanner(services)
    await planner.run_due(utcnow())  # today's daily sweep is done
    async with db.write() as conn:
        await cards.refresh(conn, services.settings, services.texts, asked)
        (edit,) = await store.by_ref(conn, "card_edit", asked)
        assert await store.claim(conn, edit.id) is not None
        citizen = await citizens.get(conn, anna.id)
        assert citizen is not None
        to_her = await moderation.to_citizen(
            conn, citizen, from_plain("Уточните адрес"), ref_type="citizen"
        )
        assert await store.claim(conn, to_her) is not None

    await Conversation(services).message(said(USER_ID, "Удалить мои данные"))
    async with db.write() as conn:
        await store.finish(conn, edit.id, OutboxState.SENT, result={"message_ids": [1]})
        retry = utcnow() + timedelta(minutes=1)
        await store.finish(conn, to_her, OutboxState.PENDING, next_attempt_at=retry)
    assert FIRST in await everything(db)
    assert await leftovers_owed(db)

    await planner.run_due(utcnow())
    await assert_nobody(db, FIRST, LAST, "+79991234567")
    async with db.read() as conn:
        retried = await store.get(conn, to_her)
        edited = await store.get(conn, edit.id)
        waiting = await conn.execute(
            select(outbox.c.id).where(outbox.c.state == OutboxState.PENDING.value)
        )
        left = [int(i) for (i,) in waiting]
    assert retried is not None
    assert retried.state is OutboxState.CANCELLED
    assert edited is not None
    assert (edited.state, edited.payload) == (OutboxState.SENT, {})  # a record, emptied
    assert edited.result == {"message_ids": [1]}
    # The card's new edit and the confirmation are still to go: looked for again.
    assert left
    assert await leftovers_owed(db)
    async with db.write() as conn:
        for item_id in left:
            await store.finish(conn, item_id, OutboxState.SENT, result={"message_ids": [2]})
            item = await store.get(conn, item_id)
            assert item is not None
            if item.ref_type == retention.PrivacyRef.FORGOTTEN:
                await retention.on_confirmation(conn, item)
    await planner.run_due(utcnow())
    await assert_erased(db, anna, FIRST, LAST, USER_ID)
    assert not await leftovers_owed(db)


async def leftovers_owed(db: Database) -> bool:
    async with db.read() as conn:
        found = await conn.execute(
            select(reminders.c.day).where(reminders.c.kind == retention.Owed.LEFTOVERS.value)
        )
        return found.first() is not None
