"""The outbox when our own side fails: the database, a feature's hook, a stop mid-send.

The platform is the fake Bot API over real HTTP; our database fails for real, by a driver
error raised on chosen statements (as a full disk or a dropped connection would raise).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection

from config import Settings
from shared.domain import OutboxAction, OutboxState
from shared.outbox import store
from shared.outbox.dispatcher import HOOKS_PENDING, Dispatcher
from shared.outbox.model import OutboxItem, OutboxMessage
from shared.outbox.payload import message
from shared.richtext import from_plain
from shared.storage import citizens, media
from shared.storage.engine import Database
from shared.storage.media import MediaOwner
from simulators.telegram import FakeTelegram
from simulators.waiting import wait
from tests.harness import ADMIN_CHAT, photo_file, running_outbox, settings_for, settle

CITIZEN = 515151
PROBE = "probe"


@dataclass
class Rule:
    match: Callable[[str, Any], bool]
    times: int
    error: type[sqlite3.Error]
    hits: int = 0


class DatabaseFaults:
    """Our database failing on purpose: a statement that matches a rule raises the driver's
    own error (by default "disk I/O error") before it reaches SQLite, ``times`` times."""

    def __init__(self, db: Database) -> None:
        self.rules: list[Rule] = []
        event.listen(db.engine.sync_engine, "before_cursor_execute", self._check)

    def arm(
        self,
        match: Callable[[str, Any], bool],
        times: int = 1,
        error: type[sqlite3.Error] = sqlite3.OperationalError,
    ) -> Rule:
        rule = Rule(match, times, error)
        self.rules.append(rule)
        return rule

    def _check(self, _conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        for rule in self.rules:
            if rule.times > 0 and rule.match(statement, params):
                rule.times -= 1
                rule.hits += 1
                raise rule.error("disk I/O error")


def _rows(params: Any) -> list[set[str]]:
    """Each row's parameter values as text: one row, or every row of an ``executemany``."""
    many = isinstance(params, list) and params and isinstance(params[0], (dict, tuple, list))
    rows = params if many else [params]
    return [{str(p) for p in (r.values() if isinstance(r, dict) else r)} for r in rows]


def with_result(table: str, state: str) -> Callable[[str, Any], bool]:
    """Matches an UPDATE of ``table`` to ``state`` that also stores a delivery result."""

    def match(statement: str, params: Any) -> bool:
        if not statement.startswith(f"UPDATE {table} "):
            return False
        return any(state in row and any('"messages"' in v for v in row) for row in _rows(params))

    return match


def updates(table: str, *values: str) -> Callable[[str, Any], bool]:
    """Matches an UPDATE of ``table`` whose parameters hold each of ``values``."""

    def match(statement: str, params: Any) -> bool:
        if not statement.startswith(f"UPDATE {table} "):
            return False
        return any(all(v in flat for v in values) for flat in _rows(params))

    return match


@pytest.fixture
def settings(tmp_path: Path, tg: FakeTelegram) -> Settings:
    tg.add_user(CITIZEN, "Анна")
    # One message a minute to a group: the second card to the admin chat waits in our pacing.
    return settings_for(
        tmp_path, tg=tg, overrides={"outbox": {"max_attempts": 3, "telegram_group_per_minute": 1}}
    )


@pytest.fixture
async def faults(sqlite_db: Database) -> DatabaseFaults:
    return DatabaseFaults(sqlite_db)


@pytest.fixture
async def outbox(sqlite_db: Database, settings: Settings) -> AsyncIterator[Dispatcher]:
    async with running_outbox(sqlite_db, settings, ["telegram"]) as dispatcher:
        yield dispatcher


async def enqueue(db: Database, destination: int, payload: dict[str, Any], **kw: Any) -> int:
    async with db.write() as conn:
        return await store.enqueue(
            conn, OutboxMessage("telegram", OutboxAction.SEND, str(destination), payload, **kw)
        )


async def row(db: Database, item_id: int) -> OutboxItem:
    async with db.read() as conn:
        item = await store.get(conn, item_id)
    assert item is not None
    return item


def accepted(tg: FakeTelegram, method: str) -> list[dict[str, Any]]:
    return [r for r in tg.requests(method) if r["ok"]]


@pytest.mark.parametrize("photos", [1, 3])
async def test_media_is_not_sent_again_when_our_database_fails_after_telegram_accepted(
    sqlite_db: Database, faults: DatabaseFaults, outbox: Dispatcher, tg: FakeTelegram, photos: int
) -> None:
    async with sqlite_db.write() as conn:
        ids = await media.add_all(
            conn, MediaOwner.POST, 1, [photo_file(f"{i}.png") for i in range(photos)]
        )
    remember = faults.arm(updates("media"), times=100)
    item_id = await enqueue(sqlite_db, ADMIN_CHAT, message(from_plain("Новость"), media=ids))
    (item,) = await settle(sqlite_db, [item_id])
    assert item.state is OutboxState.SENT, item.error
    assert remember.hits >= 1
    method = "sendPhoto" if photos == 1 else "sendMediaGroup"
    assert len(accepted(tg, method)) == 1
    assert item.attempts == 0


async def test_recording_sent_is_retried_when_the_database_fails_for_a_moment(
    sqlite_db: Database, faults: DatabaseFaults, outbox: Dispatcher, tg: FakeTelegram
) -> None:
    record = faults.arm(updates("outbox", OutboxState.SENT.value), times=2)
    item_id = await enqueue(sqlite_db, CITIZEN, message(from_plain("Ответ")))
    (item,) = await settle(sqlite_db, [item_id])
    assert item.state is OutboxState.SENT, item.error
    assert record.hits == 2
    assert len(accepted(tg, "sendMessage")) == 1


async def test_a_hook_that_raises_leaves_the_outcome_recorded_and_its_work_owed(
    db: Database,
    settings: Settings,
    tg: FakeTelegram,
    caplog: pytest.LogCaptureFixture,
) -> None:
    runs: list[int] = []

    async def broken(conn: AsyncConnection, item: OutboxItem) -> None:
        await citizens.get_or_create(conn, "telegram", "hook-was-here")
        raise RuntimeError("the feature's bug")

    caplog.set_level(logging.ERROR, "shared.outbox")
    async with running_outbox(db, settings, ["telegram"]) as outbox:
        outbox.on_outcome(PROBE, broken)
        item_id = await enqueue(db, CITIZEN, message(from_plain("Ответ")), ref_type=PROBE)
        (item,) = await settle(db, [item_id])
    assert item.state is OutboxState.SENT, item.error
    assert item.progress.get(HOOKS_PENDING)
    assert any(f"outbox {item_id}" in r.getMessage() for r in caplog.records)
    async with db.read() as conn:
        assert await citizens.find(conn, "telegram", "hook-was-here") is None
    assert len(accepted(tg, "sendMessage")) == 1

    async def fixed(conn: AsyncConnection, item: OutboxItem) -> None:
        await citizens.get_or_create(conn, "telegram", "hook-was-here")
        runs.append(item.id)

    await Dispatcher(db, {}, settings.outbox).recover()  # the feature isn't there
    assert (await row(db, item_id)).progress.get(HOOKS_PENDING)
    restarted = Dispatcher(db, {}, settings.outbox)
    restarted.on_outcome(PROBE, fixed)
    await restarted.recover()
    assert runs == [item_id]
    again = await row(db, item_id)
    assert again.state is OutboxState.SENT
    assert HOOKS_PENDING not in again.progress
    async with db.read() as conn:
        assert await citizens.find(conn, "telegram", "hook-was-here") is not None


async def test_gives_up_after_max_attempts(
    sqlite_db: Database, outbox: Dispatcher, tg: FakeTelegram
) -> None:
    tg.fail("sendMessage", "500", times=10)
    item_id = await enqueue(sqlite_db, CITIZEN, message(from_plain("Ответ")))
    (item,) = await settle(sqlite_db, [item_id])
    assert item.state is OutboxState.FAILED
    assert (item.error or "").startswith("gave up after 3 attempts")
    assert [r["status"] for r in tg.requests("sendMessage")] == [500, 500, 500]


@pytest.mark.parametrize("database_fails", [False, True])
async def test_stop_after_the_grace_period_leaves_every_row_truthful(
    sqlite_db: Database,
    faults: DatabaseFaults,
    outbox: Dispatcher,
    tg: FakeTelegram,
    database_fails: bool,
) -> None:
    tg.fail("sendMessage", "timeout_after_accept", chat_id=CITIZEN, delay=30)
    out = await enqueue(sqlite_db, CITIZEN, message(from_plain("Ответ")))
    first = await enqueue(sqlite_db, ADMIN_CHAT, message(from_plain("Карточка 1")))
    waiting = await enqueue(sqlite_db, ADMIN_CHAT, message(from_plain("Карточка 2")))
    await settle(sqlite_db, [first])

    async def both_out() -> bool:
        in_flight = any(r["fault"] for r in tg.requests("sendMessage"))
        return in_flight and (await row(sqlite_db, waiting)).state is OutboxState.SENDING

    await wait(both_out)
    if database_fails:
        # The first two attempts to record the interrupted sends fail.
        faults.arm(updates("outbox"), times=2)
    await outbox.stop(grace=0.2)

    assert (await row(sqlite_db, out)).state is OutboxState.UNKNOWN
    assert (await row(sqlite_db, waiting)).state is OutboxState.PENDING
    assert (await row(sqlite_db, first)).state is OutboxState.SENT
    assert len(tg.requests("sendMessage")) == 2


async def test_an_outcome_that_cannot_be_stored_whole_is_stored_bare(
    sqlite_db: Database, faults: DatabaseFaults, outbox: Dispatcher, tg: FakeTelegram
) -> None:
    # The result can never be stored (every try of it fails, as a row's own fault would:
    # a group commit tries a failed group's pieces again alone); the bare outcome can.
    faults.arm(
        with_result("outbox", OutboxState.SENT.value), times=100, error=sqlite3.IntegrityError
    )
    item_id = await enqueue(sqlite_db, CITIZEN, message(from_plain("Ответ")))
    (item,) = await settle(sqlite_db, [item_id])
    assert item.state is OutboxState.SENT
    assert "details not recorded: IntegrityError" in (item.error or "")
    assert len(accepted(tg, "sendMessage")) == 1
