"""A revoked token is fatal at start-up; a platform that stops hearing later makes the
instance unhealthy and tells the admin chat; ``health`` fails once the instance stopped."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from pathlib import Path

from shared.domain import OutboxAction, OutboxState
from shared.outbox import store
from shared.outbox.model import OutboxMessage
from shared.outbox.payload import message
from shared.richtext import from_plain
from shared.storage.engine import Database
from shared.storage.migrate import upgrade
from simulators.telegram import FakeTelegram
from simulators.vk import FakeVK
from tests.harness import ADMIN_CHAT
from tests.test_process import GLASHATAI, env_for, start, wait_log


def glashatai(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [GLASHATAI, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("glashatai:")]


async def test_revoked_telegram_token_at_start_up_is_one_line_and_sends_nothing(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    env = env_for(tmp_path, tg, None)
    token = tg.token
    tg.add_user(9100, "Житель")
    db = Database(env["GLASHATAI_DATABASE__URL"])
    await upgrade(db)
    async with db.write() as conn:
        item = await store.enqueue(
            conn, OutboxMessage("telegram", OutboxAction.SEND, "9100", message(from_plain("Ответ")))
        )
    tg.revoke_token()

    done = glashatai(tmp_path, env, "run")

    assert done.returncode == 2, done.stderr
    lines = error_lines(done.stderr)
    assert len(lines) == 1, done.stderr
    assert "GLASHATAI_TELEGRAM__TOKEN" in lines[0]
    assert "Unauthorized" in lines[0]
    assert "Glashatai is running" not in done.stderr
    assert "Traceback" not in done.stderr
    assert token not in done.stderr
    # The outbox never started: the queued send is still waiting for a working token.
    async with db.read() as conn:
        row = await store.get(conn, item)
    await db.dispose()
    assert row is not None
    assert row.state is OutboxState.PENDING
    assert not tg.requests("sendMessage")


def test_revoked_vk_token_at_start_up_is_one_line(tmp_path: Path, vk: FakeVK) -> None:
    env = env_for(tmp_path, None, vk)
    env["GLASHATAI_VK__GROUP_TOKEN"] = "vk1.a.revoked-community-token"

    done = glashatai(tmp_path, env, "run")

    assert done.returncode == 2, done.stderr
    lines = error_lines(done.stderr)
    assert len(lines) == 1, done.stderr
    assert "GLASHATAI_VK__GROUP_TOKEN" in lines[0]
    assert "error 5" in lines[0]
    assert "Glashatai is running" not in done.stderr
    assert "vk1.a.revoked" not in done.stderr


async def test_vk_polling_dies_later_unhealthy_and_the_admin_chat_is_told_then_stop(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    env = env_for(tmp_path, tg, vk)
    proc = start(tmp_path, env)
    try:
        await wait_log(tmp_path / "run.log", "Glashatai is running")
        assert glashatai(tmp_path, env, "health").returncode == 0
        # The community token is revoked: the long poll server can no longer be fetched.
        vk.fail("groups.getLongPollServer", 5, times=1000)
        vk.force_longpoll_failure(3)

        await tg.wait_for(
            lambda: any("ВКонтакте" in (m.get("text") or "") for m in tg.messages(ADMIN_CHAT)),
            timeout=30,
        )
        health = glashatai(tmp_path, env, "health")
        assert health.returncode == 1
        assert "нездоров" in health.stderr
        assert "vk" in health.stderr
        assert "Traceback" not in (tmp_path / "run.log").read_text()
    finally:
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(proc.wait, 20)
    assert code == 0
    # A clean stop: health fails at once, not 120 s later.
    stopped = glashatai(tmp_path, env, "health")
    assert stopped.returncode == 1
    assert "остановлен" in stopped.stderr


async def test_telegram_token_revoked_while_running_turns_health_unhealthy(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    env = env_for(tmp_path, tg, None)
    proc = start(tmp_path, env)
    try:
        await wait_log(tmp_path / "run.log", "Glashatai is running")
        tg.revoke_token()
        # The poll in flight ends within its 20 s timeout; the next one gets 401.
        await wait_log(tmp_path / "run.log", "no longer receiving updates", timeout=60)
        health = glashatai(tmp_path, env, "health")
        assert health.returncode == 1
        assert "Unauthorized" in health.stderr
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.to_thread(proc.wait, 20)
