"""Shared fixtures: databases on both engines, settings isolated from the machine's env."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.storage.engine import Database
from shared.storage.migrate import upgrade
from simulators.max import FakeMax
from simulators.telegram import FakeTelegram
from simulators.vk import FakeVK
from tests.harness import fresh_postgres_database, prepare_telegram

ROOT = Path(__file__).resolve().parents[1]
SPECS = ROOT.parent / "shared" / "specs"
POSTGRES_URL = os.environ.get("GLASHATAI_TEST_POSTGRES_URL")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No GLASHATAI_* from the machine and no stray .env: each test says what it sets.

    GLASHATAI_HOME is the test's own folder, so no test reads the developer's home.
    """
    for key in list(os.environ):
        if key.startswith("GLASHATAI_") and not key.startswith("GLASHATAI_TEST_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("GLASHATAI_HOME", str(tmp_path))
    # Child processes started without GLASHATAI_* fall back to $XDG_DATA_HOME/glashatai.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)


async def _postgres(schema: str) -> Database:
    assert POSTGRES_URL is not None
    admin = create_async_engine(POSTGRES_URL)
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    await admin.dispose()
    return Database(POSTGRES_URL, connect_args={"server_settings": {"search_path": schema}})


async def _drop_schema(schema: str) -> None:
    assert POSTGRES_URL is not None
    admin = create_async_engine(POSTGRES_URL)
    async with admin.begin() as conn:
        await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    await admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
async def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A database with no tables yet, on each engine (PostgreSQL only when configured)."""
    if request.param == "sqlite":
        db = Database(f"sqlite+aiosqlite:///{tmp_path}/glashatai.db")
        yield db
        await db.dispose()
        return
    if not POSTGRES_URL:
        pytest.skip("GLASHATAI_TEST_POSTGRES_URL is not set")
    schema = f"test_{uuid.uuid4().hex[:12]}"
    db = await _postgres(schema)
    try:
        yield db
    finally:
        await db.dispose()
        await _drop_schema(schema)


@pytest.fixture
async def db(empty_db: Database) -> Database:
    """A migrated database on each engine."""
    await upgrade(empty_db)
    return empty_db


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[Database]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/glashatai.db")
    await upgrade(db)
    yield db
    await db.dispose()


@pytest.fixture
def tg() -> Iterator[FakeTelegram]:
    """The fake Bot API with the office's admin chat, channel and a moderator."""
    with FakeTelegram() as fake:
        prepare_telegram(fake)
        yield fake
        assert fake.internal_errors == []


@pytest.fixture
def vk() -> Iterator[FakeVK]:
    with FakeVK() as fake:
        yield fake
        assert fake.stats()["crashes"] == 0


@pytest.fixture
def max() -> Iterator[FakeMax]:
    """The fake MAX Bot API with the office channel (limits on, schema checks on)."""
    with FakeMax() as fake:
        yield fake
        assert fake.violations == []
        assert fake.internal_errors == []


@pytest.fixture(params=["sqlite", "postgres"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The app's own database on each engine: a fresh PostgreSQL database per test (the
    app connects by URL, so the per-schema trick of ``db`` does not apply)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/glashatai.db"
        return
    if not POSTGRES_URL:
        pytest.skip("GLASHATAI_TEST_POSTGRES_URL is not set")
    async with fresh_postgres_database(POSTGRES_URL, "app") as url:
        yield url
