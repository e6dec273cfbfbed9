"""The sandbox's settings: written to ``<folder>/.env`` so every ``glashatai`` command can use them.

The folder is a data folder like any other (``GLASHATAI_HOME``): the running sandbox
writes its ``.env`` there once the instance lock is held, so ``export GLASHATAI_HOME=…``
or ``glashatai --sandbox …`` make the CLI talk to the sandbox's database and simulators.
The variables are the product's own (``GLASHATAI_…``): nothing here is sandbox-only.
"""

from __future__ import annotations

import fcntl
import os
import secrets
from pathlib import Path

from config import Settings
from config.home import DATABASE_FILE, HOME_VARIABLE, default_home, env_file
from sandbox.simulated import Simulators

FOLDER_NAME = "sandbox"
LOCK_SUFFIX = ".lock"  # the instance lock beside the SQLite file (shared/storage/instance.py)
SECRET_FILE = "web-secret"  # noqa: S105 - a file name
# Long polls end within this many seconds, so Ctrl-C stops the sandbox at once.
LONGPOLL_SECONDS = 2
# The scheduler re-reads the tables this often: a post made by the CLI goes out quickly.
SYNC_SECONDS = 5
LOG_LEVEL = "WARNING"  # the terminal shows the address and problems, not every poll


def default_folder() -> Path:
    """``$GLASHATAI_HOME/sandbox``: beside a real office's data, never mixed with it."""
    return default_home() / FOLDER_NAME


def database_file(folder: Path) -> Path:
    return folder / DATABASE_FILE


def lock_file(folder: Path) -> Path:
    return folder / (DATABASE_FILE + LOCK_SUFFIX)


def running(folder: Path) -> bool:
    """Whether a sandbox holds this folder's instance lock right now (the kernel's word)."""
    try:
        fd = os.open(lock_file(folder), os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing drops a shared lock we may have taken
    return False


def web_secret(folder: Path) -> str:
    """The staff desk's session key: made once per folder, kept (mode 600) across restarts."""
    path = folder / SECRET_FILE
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    value = secrets.token_urlsafe(32)
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(value)
    return value


def variables(sims: Simulators, folder: Path, port: int) -> dict[str, str]:
    """Every setting the sandbox runs with, as the ``GLASHATAI_…`` variables of a ``.env``."""
    world, tg, vk, mx = sims.world, sims.telegram, sims.vk, sims.max
    address = f"http://127.0.0.1:{port}"
    return {
        HOME_VARIABLE: str(folder),
        "GLASHATAI_DATABASE__URL": f"sqlite+aiosqlite:///{database_file(folder)}",
        "GLASHATAI_TELEGRAM__TOKEN": tg.token,
        "GLASHATAI_TELEGRAM__API_BASE": world.telegram_url,
        "GLASHATAI_TELEGRAM__ADMIN_CHAT_ID": str(world.admin_chat_id),
        "GLASHATAI_TELEGRAM__CHANNEL_ID": str(world.channel_id),
        "GLASHATAI_TELEGRAM__MODERATOR_IDS": str(world.moderator.user_id),
        "GLASHATAI_VK__GROUP_ID": str(world.vk_group_id),
        "GLASHATAI_VK__GROUP_TOKEN": vk.group_token,
        "GLASHATAI_VK__USER_TOKEN": vk.user_token,
        "GLASHATAI_VK__API_BASE": world.vk_url,
        "GLASHATAI_VK__LONGPOLL_WAIT": str(LONGPOLL_SECONDS),
        "GLASHATAI_MAX__TOKEN": mx.token,
        "GLASHATAI_MAX__API_BASE": world.max_url,
        "GLASHATAI_MAX__CHANNEL_ID": str(world.max_channel_id),
        "GLASHATAI_MAX__LONGPOLL_TIMEOUT": str(LONGPOLL_SECONDS),
        # Quiet hours off: a rehearsal at 23:00 publishes at once, as a person expects.
        "GLASHATAI_PUBLISHING__QUIET_HOURS_START": "",
        "GLASHATAI_PUBLISHING__QUIET_HOURS_END": "",
        "GLASHATAI_SCHEDULER__SYNC_SECONDS": str(SYNC_SECONDS),
        "GLASHATAI_WEB__ENABLED": "true",
        "GLASHATAI_WEB__HOST": "127.0.0.1",
        "GLASHATAI_WEB__PORT": str(port),
        "GLASHATAI_WEB__PUBLIC_URL": address,
        "GLASHATAI_WEB__SECRET_KEY": web_secret(folder),
        "GLASHATAI_HEALTH_FILE": str(folder / "heartbeat"),
        "GLASHATAI_LOG_LEVEL": LOG_LEVEL,
    }


def apply(values: dict[str, str]) -> None:
    """This process runs with exactly these ``GLASHATAI_…`` variables: the caller's own
    (a real token, a PostgreSQL URL) must not leak into a sandbox command."""
    for key in [k for k in os.environ if k.startswith("GLASHATAI_")]:
        del os.environ[key]
    os.environ.update(values)


def load(values: dict[str, str]) -> Settings:
    """The settings these variables give (applied to this process's environment)."""
    apply(values)
    return Settings(_env_file=None)


def write_env(folder: Path, values: dict[str, str]) -> Path:
    """``<folder>/.env`` with these variables (mode 600: it holds the simulators' tokens)."""
    path = env_file(folder)
    lines = ["# Written by `glashatai sandbox` while it runs: the sandbox's own settings."]
    lines += [f"{key}={value}" for key, value in values.items() if key != HOME_VARIABLE]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write("\n".join(lines) + "\n")
    return path


def read_env(folder: Path) -> dict[str, str]:
    """The variables a running sandbox wrote (empty if it never wrote them)."""
    path = env_file(folder)
    if not path.exists():
        return {}
    found: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition("=")
        if sep and not key.lstrip().startswith("#"):
            found[key.strip()] = value
    return found


def use(folder: Path) -> bool:
    """Make this process's commands use the running sandbox in ``folder``; False if none runs."""
    if not running(folder):
        return False
    apply({**read_env(folder), HOME_VARIABLE: str(folder)})
    return True
