"""The README's first command on a fresh machine, and the CLI from any folder.

``GLASHATAI_HOME`` holds ``.env`` and the SQLite file; nothing is looked up in, or written
to, the current folder.
"""

from __future__ import annotations

import os
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

from simulators.telegram import FakeTelegram
from tests.harness import ADMIN_CHAT, CHANNEL
from tests.test_process import GLASHATAI

VARIABLES = [
    "GLASHATAI_TELEGRAM__TOKEN",
    "GLASHATAI_TELEGRAM__ADMIN_CHAT_ID",
    "GLASHATAI_TELEGRAM__CHANNEL_ID",
    "GLASHATAI_VK__GROUP_ID",
    "GLASHATAI_VK__GROUP_TOKEN",
    "GLASHATAI_VK__USER_TOKEN",
]


def clean_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GLASHATAI_")}
    env["GLASHATAI_HOME"] = str(home)
    return env


def glashatai(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    cwd.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [GLASHATAI, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )


def test_first_run_writes_a_template_and_says_what_to_fill_in(tmp_path: Path) -> None:
    home, elsewhere = tmp_path / "home", tmp_path / "elsewhere"
    env = clean_env(home)

    done = glashatai(elsewhere, env, "run")

    assert done.returncode == 2, done.stderr
    template = (home / ".env").read_text()
    for name in VARIABLES:
        assert f"\n{name}=" in template
        assert name in done.stderr
    assert str(home / ".env") in done.stderr
    assert "@BotFather" in done.stderr
    assert "Работа с API" in done.stderr
    assert "Traceback" not in done.stderr
    assert list(elsewhere.iterdir()) == []  # nothing in the current folder
    assert not (home / "glashatai.db").exists()

    # A .env the office has started to fill in is never overwritten.
    (home / ".env").write_text(template + "# ours\n")
    again = glashatai(elsewhere, env, "run")
    assert again.returncode == 2, again.stderr
    assert (home / ".env").read_text().endswith("# ours\n")
    assert "GLASHATAI_TELEGRAM__TOKEN" in again.stderr


def test_env_and_database_are_the_same_from_any_folder(tmp_path: Path, tg: FakeTelegram) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / ".env").write_text(
        f"GLASHATAI_TELEGRAM__TOKEN={tg.token}\n"
        f"GLASHATAI_TELEGRAM__API_BASE={tg.base_url}\n"
        f"GLASHATAI_TELEGRAM__ADMIN_CHAT_ID={ADMIN_CHAT}\n"
        f"GLASHATAI_TELEGRAM__CHANNEL_ID={CHANNEL}\n"
        "GLASHATAI_DATABASE__URL=sqlite+aiosqlite:///db/press.db\n"  # relative: in the home
        "GLASHATAI_PUBLISHING__QUIET_HOURS_START=\n"
        "GLASHATAI_PUBLISHING__QUIET_HOURS_END=\n"
    )
    env = clean_env(home)

    upgraded = glashatai(tmp_path / "a", env, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert (home / "db" / "press.db").exists()

    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "release.md").write_text("Первый пресс-релиз из папки b.")
    at = (datetime.now() + timedelta(days=30)).strftime("%Y-%m-%d 10:00")
    created = glashatai(
        tmp_path / "b", env, "post", "create", "--text-file", "release.md", "--at", at
    )
    assert created.returncode == 0, created.stderr

    listed = glashatai(tmp_path / "c", env, "post", "list")
    assert listed.returncode == 0, listed.stderr
    assert "Первый пресс-релиз из папки b." in listed.stdout
    for folder in ("a", "b", "c"):
        names = {p.name for p in (tmp_path / folder).iterdir()}
        assert names <= {"release.md"}, names  # no data/, no .db, no .env


def test_a_reading_command_never_creates_an_empty_database(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = clean_env(home)
    for args in (["post", "list"], ["hotline", "list"], ["post", "show", "1"]):
        done = glashatai(tmp_path / "elsewhere", env, *args)
        assert done.returncode == 1, (args, done.stdout, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, done.stderr
        assert "glashatai db upgrade" in lines[0]
        assert str(home / "glashatai.db") in lines[0]
    assert not (home / "glashatai.db").exists()
