"""Slips of configuration and start-up, each through the real ``glashatai`` command: a
database written by a newer release, an API base without its scheme, a ``.env`` saved in
Windows-1251, a first run with MAX, office files named relative to the data folder, the web
part without its key, and a mistyped variable."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import text

from shared.storage.engine import Database
from simulators.telegram import FakeTelegram
from tests.test_cli_errors import env_with, one_line
from tests.test_process import GLASHATAI, env_for

TOKEN = "123456789:AAsecret-secret-secret-secret-secret0123"
SECRET = TOKEN.split(":", 1)[1]
NEWER = "0099_from_a_newer_release"
# Starting the app on this busy machine takes a while: its commands get generous time.
SLOW = 240


def glashatai(
    home: Path, *args: str, env: dict[str, str], cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    home.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [GLASHATAI, *args],
        cwd=cwd or home,
        env=env,
        capture_output=True,
        text=True,
        timeout=SLOW,
    )


async def _stamp_newer(url: str) -> None:
    """What a later release's migration leaves, after the office rolled the package back."""
    db = Database(url)
    try:
        async with db.write() as conn:
            await conn.execute(text(f"UPDATE alembic_version SET version_num = '{NEWER}'"))
    finally:
        await db.dispose()


# --- A database from a newer Glashatai: one line, from every command, on both engines ----


@pytest.mark.parametrize("command", [["db", "upgrade"], ["post", "list"], ["report"], ["run"]])
async def test_a_database_from_a_newer_version_is_one_line(
    tmp_path: Path, database_url: str, command: list[str]
) -> None:
    env = env_with(
        tmp_path,
        database__url=database_url,
        telegram__token=TOKEN,
        telegram__api_base="http://127.0.0.1:9",  # nothing there: run goes on to migrate
    )
    upgraded = await asyncio.to_thread(glashatai, tmp_path, "db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    await _stamp_newer(database_url)

    done = await asyncio.to_thread(glashatai, tmp_path, *command, env=env)

    line = one_line_after_logs(done)
    assert done.returncode == 1
    assert "более новой версией Глашатая" in line
    assert NEWER in line
    assert "обновите Глашатай" in line


def one_line_after_logs(done: subprocess.CompletedProcess[str]) -> str:
    """The one ``glashatai:`` line; ``run`` logs its start-up above it, and no traceback."""
    assert "Traceback" not in done.stderr, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("glashatai:")]
    assert len(errors) == 1, done.stderr
    return errors[0]


async def test_check_says_the_database_is_from_a_newer_version(
    tmp_path: Path, database_url: str
) -> None:
    env = env_with(tmp_path, database__url=database_url)
    assert (await asyncio.to_thread(glashatai, tmp_path, "db", "upgrade", env=env)).returncode == 0
    await _stamp_newer(database_url)

    done = await asyncio.to_thread(glashatai, tmp_path, "check", env=env)

    assert done.returncode == 1
    assert "Traceback" not in done.stderr, done.stderr
    marked = [line for line in done.stdout.splitlines() if line.startswith("✗ база данных")]
    assert len(marked) == 1, done.stdout
    assert NEWER in marked[0]
    assert "более новой версией" in marked[0]


# --- An API base without its scheme: refused in one line, the token never printed --------


@pytest.mark.parametrize(
    ("variable", "api_base"),
    [
        ("telegram__api_base", "localhost:8081"),
        ("telegram__api_base", "127.0.0.1:8081/"),
        ("telegram__api_base", "http://[::1"),
        ("telegram__api_base", "http://127.0.0.1:port"),
        ("vk__api_base", "api.vk.ru"),
        ("max__api_base", "ftp://platform-api2.max.ru"),
    ],
)
def test_an_api_base_that_is_not_an_http_url_is_one_line(
    tmp_path: Path, variable: str, api_base: str
) -> None:
    env = env_with(tmp_path, telegram__token=TOKEN, **{variable: api_base})

    for command in (["check"], ["run"]):
        done = glashatai(tmp_path, *command, env=env)

        line = one_line(done)
        assert done.returncode == 2
        assert f"GLASHATAI_{variable.upper()}: нужен адрес с http:// или https://" in line
        assert SECRET not in done.stdout + done.stderr


def test_check_masks_a_token_in_what_a_platform_says(
    tmp_path: Path, tg: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever a platform's check quotes (a client's error with the request URL), the
    ``check`` output goes through the mask."""
    from bots import cli
    from bots.telegram import platform as telegram
    from shared.platform import CheckResult

    for key, value in env_for(tmp_path, tg, None).items():
        if key.startswith("GLASHATAI_"):
            monkeypatch.setenv(key, value)

    async def quoting(settings: object) -> list[CheckResult]:
        url = f"{tg.base_url}/bot{tg.token}/getMe"
        return [CheckResult(False, "Telegram: getMe", f"нет связи: {url} is not http")]

    monkeypatch.setattr(telegram, "check", quoting)
    captured: list[str] = []
    monkeypatch.setattr("builtins.print", lambda *a, **k: captured.append(" ".join(map(str, a))))

    assert cli.main(["check"]) == 1
    said = "\n".join(captured)
    assert "✗ Telegram: getMe: нет связи:" in said
    assert tg.token.split(":", 1)[1] not in said


# --- A .env not in UTF-8 (Notepad's Windows-1251) ---------------------------------------


@pytest.mark.parametrize("command", [["check"], ["run"], ["post", "list"], ["health"]])
def test_an_env_file_not_in_utf8_is_one_line(tmp_path: Path, command: list[str]) -> None:
    (tmp_path / ".env").write_bytes(
        "GLASHATAI_OFFICE_NAME=Пресс-служба администрации\n".encode("cp1251")
    )

    done = glashatai(tmp_path, *command, env=env_with(tmp_path))

    line = one_line(done)
    assert done.returncode == 2
    assert f"{tmp_path / '.env'}: файл не в кодировке UTF-8" in line
    assert "сохраните его в UTF-8" in line


# --- The first run names MAX ------------------------------------------------------------


def test_the_first_run_template_and_message_name_max(tmp_path: Path) -> None:
    done = glashatai(tmp_path, "run", env=env_with(tmp_path))

    assert done.returncode == 2
    template = (tmp_path / ".env").read_text(encoding="utf-8")
    for name in ("GLASHATAI_TELEGRAM__TOKEN", "GLASHATAI_MAX__TOKEN", "GLASHATAI_MAX__CHANNEL_ID"):
        assert f"\n{name}=\n" in template
        assert name in done.stderr
    assert "business.max.ru" in template
    assert "business.max.ru" in done.stderr
    # The template as written is a configuration every command accepts, with no warning.
    checked = glashatai(tmp_path, "check", env=env_with(tmp_path))
    assert "предупреждение" not in checked.stdout + checked.stderr
    assert "настройки: в порядке" in checked.stdout


# --- The office's files: in the data folder, from any current folder ----------------------


def test_a_relative_texts_file_is_in_the_data_folder(tmp_path: Path) -> None:
    home, elsewhere = tmp_path / "data", tmp_path / "elsewhere"
    elsewhere.mkdir(parents=True)
    home.mkdir()
    # .env.example's own example: GLASHATAI_TEXTS_FILE=texts.toml
    (home / ".env").write_text("GLASHATAI_TEXTS_FILE=texts.toml\n", encoding="utf-8")
    (home / "texts.toml").write_text(
        '[cli.posts]\nlist_empty = "Публикаций пока нет (наш текст)."\n', encoding="utf-8"
    )
    env = env_with(home)
    assert glashatai(home, "db", "upgrade", env=env).returncode == 0

    from_home = glashatai(home, "post", "list", env=env)
    from_elsewhere = glashatai(home, "post", "list", env=env, cwd=elsewhere)

    assert from_home.returncode == 0, from_home.stderr
    assert from_elsewhere.returncode == 0, from_elsewhere.stderr
    assert from_elsewhere.stdout == from_home.stdout == "Публикаций пока нет (наш текст).\n"


def test_a_relative_topics_file_is_in_the_data_folder(tmp_path: Path) -> None:
    home, elsewhere = tmp_path / "data", tmp_path / "elsewhere"
    elsewhere.mkdir(parents=True)
    home.mkdir()
    (home / ".env").write_text("GLASHATAI_ALERTS__TOPICS_FILE=topics.toml\n", encoding="utf-8")
    (home / "topics.toml").write_text('[topics]\nwater = "Вода"\n', encoding="utf-8")
    (elsewhere / "notice.txt").write_text("Отключение воды", encoding="utf-8")
    env = env_with(home, telegram__token=TOKEN, telegram__api_base="http://127.0.0.1:9")
    assert glashatai(home, "db", "upgrade", env=env).returncode == 0

    done = glashatai(
        home, "alert", "send", "--topic", "water", "--text-file", "notice.txt", env=env,
        cwd=elsewhere,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert "«Вода»" in done.stdout


@pytest.mark.parametrize(
    ("variable", "content", "said"),
    [
        ("TEXTS_FILE", None, "нет файла {path} (относительный путь считается от папки данных"),
        ("TEXTS_FILE", "[citizen]\ngreetin = 'x'\n", "нет в каталоге: citizen.greetin"),
        ("TEXTS_FILE", "[errors]\ninvalid_input = '{oops}'\n", "которых у него нет: oops"),
        ("TEXTS_FILE", "not toml =\n", "{path} — не TOML: ошибка в строке 1"),
        ("ALERTS__TOPICS_FILE", None, "нет файла {path}"),
        ("ALERTS__TOPICS_FILE", "[other]\nx = 'y'\n", "нет таблицы [topics]"),
    ],
)  # fmt: skip
def test_an_office_file_that_cant_be_used_is_a_configuration_error(
    tmp_path: Path, variable: str, content: str | None, said: str
) -> None:
    path = tmp_path / "office.toml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    env = env_with(tmp_path, **{variable.lower(): "office.toml"})

    for command in (["check"], ["post", "list"]):
        line = one_line(glashatai(tmp_path, *command, env=env))
        assert f"GLASHATAI_{variable}: " in line
        assert said.format(path=path) in line


@pytest.mark.parametrize("variable", ["texts_file", "alerts__topics_file"])
def test_an_empty_file_variable_is_unset(tmp_path: Path, variable: str) -> None:
    """``GLASHATAI_TEXTS_FILE=`` is "not set", not the current folder."""
    done = glashatai(tmp_path, "check", env=env_with(tmp_path, **{variable: ""}))
    assert "настройки: в порядке" in done.stdout, done.stderr


# --- The web part without its key: check refuses what run refuses -------------------------


def test_check_refuses_what_run_refuses(tmp_path: Path, tg: FakeTelegram) -> None:
    env = env_for(tmp_path, tg, None)
    env["GLASHATAI_HOME"] = str(tmp_path)
    env["GLASHATAI_WEB__ENABLED"] = "true"  # and no GLASHATAI_WEB__SECRET_KEY
    without_web = glashatai(tmp_path, "check", env={**env, "GLASHATAI_WEB__ENABLED": "false"})
    assert without_web.returncode == 0, without_web.stdout

    check = glashatai(tmp_path, "check", env=env)
    run = glashatai(tmp_path, "run", env=env)

    for done in (check, run):
        line = one_line(done)
        assert done.returncode == 2
        assert "GLASHATAI_WEB__SECRET_KEY: не задан, а сайт включён" in line


# --- A mistyped variable, a line that is not NAME=value ----------------------------------


def test_check_names_a_mistyped_variable(tmp_path: Path, tg: FakeTelegram) -> None:
    env = env_for(tmp_path, tg, None)
    env["GLASHATAI_HOME"] = str(tmp_path)
    # The admin chat's variable with one underscore lost: the moderators' chat is not set.
    env["GLASHATAI_TELEGRAM__ADMINCHAT_ID"] = env.pop("GLASHATAI_TELEGRAM__ADMIN_CHAT_ID")
    env["GLASHATAI_TEST_ANYTHING"] = "the test suite's own"
    (tmp_path / ".env").write_text(
        "GLASHATAI_TIMEZON=Asia/Novosibirsk\nthis line is not a setting\n", encoding="utf-8"
    )

    done = glashatai(tmp_path, "check", env=env)

    warnings = [line for line in done.stdout.splitlines() if line.startswith("! настройки: ")]
    assert len(warnings) == 3, done.stdout
    assert "GLASHATAI_TELEGRAM__ADMINCHAT_ID (в переменных окружения)" in warnings[0]
    assert "имелась в виду GLASHATAI_TELEGRAM__ADMIN_CHAT_ID?" in warnings[0]
    assert f"GLASHATAI_TIMEZON (в {tmp_path / '.env'})" in warnings[1]
    assert "имелась в виду GLASHATAI_TIMEZONE?" in warnings[1]
    assert f"{tmp_path / '.env'}, строка 2: это не «ИМЯ=значение»" in warnings[2]
    assert "✗ Telegram: чат модераторов: не задано" in done.stdout
    assert "GLASHATAI_TEST_ANYTHING" not in done.stdout + done.stderr
    assert "python-dotenv" not in done.stdout + done.stderr

    assert glashatai(tmp_path, "db", "upgrade", env=env).returncode == 0
    listed = glashatai(tmp_path, "post", "list", env=env)

    assert listed.returncode == 0, listed.stderr
    said = listed.stderr.strip().splitlines()
    assert len(said) == 3, listed.stderr
    assert all(line.startswith("glashatai: предупреждение: ") for line in said)
    assert "GLASHATAI_TELEGRAM__ADMINCHAT_ID" in said[0]
