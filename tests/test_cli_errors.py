"""Every failure a user can cause: one line naming the cause, a non-zero exit, no traceback.

Each case runs the real ``glashatai`` command in a child process.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.conftest import POSTGRES_URL
from tests.test_process import GLASHATAI

TOKEN = "123456:TEST-token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaa"


def env_with(home: Path, **values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GLASHATAI_")}
    env["GLASHATAI_HOME"] = str(home)
    env["GLASHATAI_PUBLISHING__QUIET_HOURS_START"] = ""
    env["GLASHATAI_PUBLISHING__QUIET_HOURS_END"] = ""
    env.update({f"GLASHATAI_{k.upper()}": v for k, v in values.items()})
    return env


def glashatai(
    home: Path, *args: str, env: dict[str, str] | None = None, **kwargs: object
) -> subprocess.CompletedProcess[str]:
    home.mkdir(parents=True, exist_ok=True)
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        [GLASHATAI, *args],
        cwd=home,
        env=env or env_with(home),
        capture_output=True,
        text=True,
        timeout=60,
        **kwargs,
    )


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode != 0, done.stdout
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("glashatai: ")
    return lines[0]


@pytest.mark.parametrize(
    ("url", "code", "needle"),
    [
        ("notaurl", 2, "GLASHATAI_DATABASE__URL"),
        ("mysql+pymysql://u@localhost/db", 2, "mysql+pymysql"),
        ("sqlite:///plain.db", 2, "sqlite+aiosqlite"),
        ("postgresql+asyncpg://postgres:s3cret-pw@127.0.0.1:1/test", 1, "не принимает"),
        ("postgresql+asyncpg://postgres:s3cret-pw@no-such-host.invalid/test", 1, "нет такого"),
    ],
)
@pytest.mark.parametrize("command", [["post", "list"], ["db", "upgrade"]])
def test_bad_or_unreachable_database_url(
    tmp_path: Path, url: str, code: int, needle: str, command: list[str]
) -> None:
    done = glashatai(tmp_path, *command, env=env_with(tmp_path, database__url=url))
    line = one_line(done)
    assert done.returncode == code
    assert needle in line
    assert "s3cret-pw" not in done.stderr


@pytest.mark.skipif(not POSTGRES_URL, reason="GLASHATAI_TEST_POSTGRES_URL is not set")
def test_missing_postgres_database(tmp_path: Path) -> None:
    assert POSTGRES_URL is not None
    url = make_url(POSTGRES_URL).set(database="glashatai_no_such_db")
    env = env_with(tmp_path, database__url=url.render_as_string(hide_password=False))
    line = one_line(glashatai(tmp_path, "post", "list", env=env))
    assert "glashatai_no_such_db" in line


def test_check_opens_the_database(tmp_path: Path) -> None:
    """It said the configuration was fine for an unreachable PostgreSQL."""
    env = env_with(tmp_path, database__url="postgresql+asyncpg://postgres@127.0.0.1:1/test")
    done = glashatai(tmp_path, "check", env=env)
    assert done.returncode == 1
    assert "настройки: в порядке" in done.stdout
    assert "✗ база данных: postgresql+asyncpg://postgres@127.0.0.1:1/test" in done.stdout
    fresh = glashatai(tmp_path, "check").stdout
    assert f"✓ база данных: {tmp_path / 'glashatai.db'} (ещё не создана" in fresh
    ok = glashatai(tmp_path, "db", "upgrade")
    assert ok.returncode == 0, ok.stderr
    assert "база данных обновлена" in ok.stdout
    assert f"✓ база данных: {tmp_path / 'glashatai.db'}\n" in glashatai(tmp_path, "check").stdout


def test_a_file_that_is_not_sqlite(tmp_path: Path) -> None:
    (tmp_path / "glashatai.db").write_text("these are my notes, not a database\n")
    line = one_line(glashatai(tmp_path, "post", "list"))
    assert "SQLite" in line
    assert str(tmp_path / "glashatai.db") in line


# As root, permissions are not checked: the command runs without the capabilities that skip
# them (setpriv, util-linux), so the folder is as read-only for it as for any other user.
AS_ORDINARY_USER = [
    "setpriv",
    "--bounding-set=-dac_override,-dac_read_search,-fowner",
    "--inh-caps=-dac_override,-dac_read_search,-fowner",
]


@pytest.fixture
def read_only_home(tmp_path: Path) -> Iterator[tuple[Path, list[str]]]:
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o555)
    prefix: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: permissions can't be tested")
        prefix = AS_ORDINARY_USER
    yield home, prefix
    home.chmod(0o755)


def test_read_only_data_folder(read_only_home: tuple[Path, list[str]]) -> None:
    home, prefix = read_only_home
    env = env_with(home, telegram__token=TOKEN)
    for args in (["db", "upgrade"], ["run"], ["post", "list"]):
        done = subprocess.run(
            [*prefix, GLASHATAI, *args],
            cwd=home,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        line = one_line(done)
        assert str(home) in line, line
    assert list(home.iterdir()) == []


def test_malformed_token(tmp_path: Path) -> None:
    done = glashatai(tmp_path, "check", env=env_with(tmp_path, telegram__token="my bot token"))
    line = one_line(done)
    assert done.returncode == 2
    assert "ошибка в настройках" in line
    assert "GLASHATAI_TELEGRAM__TOKEN: это не токен бота" in line
    assert "my bot token" not in line


def test_configuration_errors_are_russian_per_variable(tmp_path: Path) -> None:
    env = env_with(tmp_path, timezone="Mars/Olympus", telegram__admin_chat_id="not-a-number")
    done = glashatai(tmp_path, "check", env=env)
    assert done.returncode == 2
    assert "GLASHATAI_TIMEZONE: неизвестный часовой пояс 'Mars/Olympus'" in done.stderr
    assert "GLASHATAI_TELEGRAM__ADMIN_CHAT_ID: нужно целое число" in done.stderr


def _hotline(tmp_path: Path) -> None:
    start = datetime.now() + timedelta(days=3)
    done = glashatai(
        tmp_path,
        "hotline",
        "create",
        "--topic",
        "Дороги",
        "--start",
        start.strftime("%Y-%m-%d 10:00"),
        "--end",
        start.strftime("%Y-%m-%d 12:00"),
    )
    assert done.returncode == 0, done.stderr


def test_output_path_in_a_missing_folder(tmp_path: Path) -> None:
    _hotline(tmp_path)
    line = one_line(glashatai(tmp_path, "hotline", "digest", "1", "--output", "no/such/d.docx"))
    assert "no/such" in line


def test_closed_pipe(tmp_path: Path) -> None:
    """``glashatai post show 1 | head``: the reader went away before the output was written."""
    (tmp_path / "r.md").write_text("Текст пресс-релиза.\n" * 50)
    at = (datetime.now() + timedelta(days=3)).strftime("%Y-%m-%d 10:00")
    env = env_with(tmp_path, telegram__token=TOKEN, telegram__channel_id="@town_news")
    created = glashatai(
        tmp_path, "post", "create", "--text-file", "r.md", "--at", at, "--to", "telegram", env=env
    )
    assert created.returncode == 0, created.stderr
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [GLASHATAI, "post", "show", "1"],
            cwd=tmp_path,
            env=env,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    finally:
        os.close(write_end)
    assert done.returncode == 141
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "вывод оборвался" in lines[0]


def test_alembic_says_nothing_on_stderr(tmp_path: Path) -> None:
    done = glashatai(tmp_path, "db", "upgrade")
    assert done.returncode == 0
    assert "alembic" not in done.stderr.lower(), done.stderr
    assert "Running upgrade" not in done.stderr


def test_an_unsupported_database_driver_is_named_in_russian(tmp_path: Path) -> None:
    env = env_with(tmp_path, database__url="mysql+pymysql://u@localhost/db")
    line = one_line(glashatai(tmp_path, "check", env=env))
    assert "GLASHATAI_DATABASE__URL: драйвер 'mysql+pymysql' не поддерживается" in line


@pytest.mark.parametrize("command", [["check"], ["hotline", "list"], ["db", "upgrade"]])
def test_a_password_in_the_urls_query_is_never_printed(tmp_path: Path, command: list[str]) -> None:
    """asyncpg takes ``?password=`` as well as ``user:password@``: both are secrets."""
    url = "postgresql+asyncpg://postgres@127.0.0.1:1/test?password=QueryPassXYZ"
    done = glashatai(tmp_path, *command, env=env_with(tmp_path, database__url=url))
    assert done.returncode == 1
    assert "QueryPassXYZ" not in done.stdout + done.stderr
    assert "test?password=***" in done.stdout + done.stderr


def test_a_url_option_the_driver_refuses_is_one_line(tmp_path: Path) -> None:
    """``?sslmode=require`` is psycopg's; asyncpg's connect() refuses it with a TypeError."""
    url = "postgresql+asyncpg://postgres@127.0.0.1:1/test?sslmode=require"
    line = one_line(
        glashatai(tmp_path, "hotline", "list", env=env_with(tmp_path, database__url=url))
    )
    assert "«sslmode»" in line
    assert "ssl=require" in line
