"""One ``glashatai run`` per database: the second exits at once naming the first, and a
second instance with a wrong token never reaches the first one's sends."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.domain import OutboxAction, OutboxState
from shared.outbox import store
from shared.outbox.model import OutboxMessage
from shared.outbox.payload import message
from shared.richtext import from_plain
from shared.storage.engine import Database
from shared.storage.instance import AlreadyRunning, InstanceLock
from simulators.telegram import FakeTelegram
from simulators.vk import FakeVK
from simulators.waiting import wait
from tests.conftest import POSTGRES_URL, _drop_schema, _postgres
from tests.harness import fresh_postgres_database
from tests.test_process import GLASHATAI, env_for, start, wait_log

WRONG_TOKEN = "123456:WRONG-token-bbbbbbbbbbbbbbbbbbbbbbbbbbbbb"


def run_second(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [GLASHATAI, "run"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )


async def stop(proc: subprocess.Popen[bytes]) -> int:
    proc.send_signal(signal.SIGTERM)
    return await asyncio.to_thread(proc.wait, 20)


async def test_second_run_on_the_same_sqlite_file_exits_naming_the_first(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    env = env_for(tmp_path, tg, vk)
    first = start(tmp_path, env)
    try:
        await wait_log(tmp_path / "run.log", "Glashatai is running")
        polls = len(tg.requests("getUpdates"))

        second = run_second(tmp_path, env)

        assert second.returncode == 1, second.stderr
        lines = [line for line in second.stderr.splitlines() if line.startswith("glashatai:")]
        assert len(lines) == 1, second.stderr
        assert f"pid {first.pid}" in lines[0]
        assert "Glashatai is running" not in second.stderr
        assert "Traceback" not in second.stderr
        # The first instance is untouched and still the only one polling.
        assert first.poll() is None
        await tg.wait_for(lambda: len(tg.requests("getUpdates")) > polls, timeout=30)
        assert "Conflict" not in (tmp_path / "run.log").read_text()

        # CLI commands work beside the running instance.
        done = subprocess.run(
            [GLASHATAI, "health"], cwd=tmp_path, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
    finally:
        code = await stop(first)
    assert code == 0
    # Once the first has stopped, the database is free again.
    again = start(tmp_path, env, "again")
    try:
        await wait_log(tmp_path / "again.log", "Glashatai is running")
    finally:
        assert await stop(again) == 0


async def test_a_second_instance_with_a_wrong_token_never_touches_the_first_ones_sends(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    """The issue's case: the wrong-token instance claimed and failed the pending sends."""
    env = env_for(tmp_path, tg, vk)
    first = start(tmp_path, env)
    db = Database(env["GLASHATAI_DATABASE__URL"])
    try:
        await wait_log(tmp_path / "run.log", "Glashatai is running")
        wrong = dict(env, GLASHATAI_TELEGRAM__TOKEN=WRONG_TOKEN)
        before = len(tg.requests())

        second = run_second(tmp_path, wrong)

        assert second.returncode == 1, second.stderr
        assert "glashatai run" in second.stderr
        assert WRONG_TOKEN not in second.stderr
        chats = list(range(810000, 810020))
        for chat in chats:
            tg.add_user(chat, f"Житель {chat}")
        async with db.write() as conn:
            ids = [
                await store.enqueue(
                    conn,
                    OutboxMessage(
                        "telegram", OutboxAction.SEND, str(chat), message(from_plain("Ответ"))
                    ),
                )
                for chat in chats
            ]
        await tg.wait_for(lambda: all(tg.messages(chat) for chat in chats), timeout=30)

        async def states() -> set[OutboxState]:
            async with db.read() as conn:
                items = [await store.get(conn, item_id) for item_id in ids]
            return {i.state for i in items if i is not None}

        # The outcome is recorded just after the fake answers: wait for the last record.
        await wait(lambda: _all_sent(states), timeout=30, describe=lambda: "not all sent")
        # Every request since the second start came from the first instance's token.
        assert all(r.get("status", 200) != 401 for r in tg.requests()[before:])
    finally:
        await db.dispose()
        await stop(first)


async def test_sqlite_lock_file_names_the_holder_and_is_freed_on_release(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/g.db")
    first, second = InstanceLock(db), InstanceLock(db)
    await first.acquire()
    try:
        assert first.path == tmp_path / "g.db.lock"
        with pytest.raises(AlreadyRunning, match=f"pid {os.getpid()}"):
            await second.acquire()
    finally:
        await first.release()
    await second.acquire()
    await second.release()
    await db.dispose()


@pytest.mark.skipif(not POSTGRES_URL, reason="GLASHATAI_TEST_POSTGRES_URL is not set")
async def test_postgres_advisory_lock_is_per_schema() -> None:
    """Tests run side by side in schemas of one database: those must not collide."""
    schemas = [f"test_{uuid.uuid4().hex[:12]}" for _ in range(2)]
    dbs = [await _postgres(schema) for schema in schemas]
    locks = [InstanceLock(dbs[0]), InstanceLock(dbs[0]), InstanceLock(dbs[1])]
    try:
        await locks[0].acquire()
        with pytest.raises(AlreadyRunning, match=f"pid {os.getpid()}"):
            await locks[1].acquire()
        await locks[2].acquire()  # another schema: another database here
        await locks[0].release()
        await locks[1].acquire()  # freed with the connection that held it
    finally:
        for lock in locks:
            await lock.release()
        for db in dbs:
            await db.dispose()
        for schema in schemas:
            await _drop_schema(schema)


@pytest.fixture
async def postgres_database() -> AsyncIterator[str]:
    """A database of its own on the test server: a child process can't pick a schema."""
    assert POSTGRES_URL is not None
    async with fresh_postgres_database(POSTGRES_URL, "lock") as url:
        yield url


@pytest.mark.skipif(not POSTGRES_URL, reason="GLASHATAI_TEST_POSTGRES_URL is not set")
async def test_second_run_on_the_same_postgres_database_exits_naming_the_first(
    tmp_path: Path, tg: FakeTelegram, postgres_database: str
) -> None:
    env = env_for(tmp_path, tg, None)
    env["GLASHATAI_DATABASE__URL"] = postgres_database
    first = start(tmp_path, env)
    try:
        await wait_log(tmp_path / "run.log", "Glashatai is running")

        second = run_second(tmp_path, env)

        assert second.returncode == 1, second.stderr
        lines = [line for line in second.stderr.splitlines() if line.startswith("glashatai:")]
        assert len(lines) == 1, second.stderr
        assert f"pid {first.pid}" in lines[0]
        assert "Glashatai is running" not in second.stderr
        assert first.poll() is None
    finally:
        assert await stop(first) == 0


@pytest.mark.skipif(not POSTGRES_URL, reason="GLASHATAI_TEST_POSTGRES_URL is not set")
async def test_a_dropped_lock_connection_is_replaced_and_the_database_stays_held(
    tmp_path: Path, tg: FakeTelegram, postgres_database: str
) -> None:
    """The advisory lock lives with its connection; a server that drops it must not free
    the database for a second instance."""
    env = env_for(tmp_path, tg, None)
    env["GLASHATAI_DATABASE__URL"] = postgres_database
    first = start(tmp_path, env)
    admin = create_async_engine(postgres_database)
    try:
        await wait_log(tmp_path / "run.log", "Glashatai is running")
        async with admin.begin() as conn:
            killed = await conn.scalar(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE datname = current_database()"
                    " AND application_name LIKE 'glashatai run%'"
                )
            )
        assert killed == 1
        await wait_log(tmp_path / "run.log", "taken again", timeout=30)

        second = run_second(tmp_path, env)

        assert second.returncode == 1, second.stderr
        assert f"pid {first.pid}" in second.stderr
        assert first.poll() is None
    finally:
        await admin.dispose()
        assert await stop(first) == 0


async def _all_sent(states: Callable[[], Awaitable[set[OutboxState]]]) -> bool:
    return await states() == {OutboxState.SENT}


async def test_a_start_that_fails_half_way_closes_what_it_opened(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    """The site's port taken after the lock was acquired and the bot's token proved: the
    failed start lets go of the database and of the platform's connections by itself, so a
    next start on the same database runs (the caller need not know to call ``stop``)."""
    import socket

    from bots.app import App
    from config import ConfigError
    from tests.harness import settings_for

    web = {"enabled": True, "secret_key": "a-long-random-secret-for-the-desk", "port": 0}
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = {**web, "port": busy.getsockname()[1], "host": "127.0.0.1"}
        failed = App(settings_for(tmp_path, tg, None, {"web": taken}))
        with pytest.raises(ConfigError, match="GLASHATAI_WEB__PORT"):
            await failed.start()
    again = App(settings_for(tmp_path, tg, None, {"web": web}))
    await again.start()
    await again.stop()
