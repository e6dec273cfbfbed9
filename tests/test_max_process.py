"""MAX with a real ``glashatai run`` process: MAX alone publishes a scheduled post, and a
kill in the middle of a send to MAX leaves the post ``unknown``, never sent twice."""

from __future__ import annotations

import asyncio
import signal
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from shared.clock import utcnow
from shared.domain import PostStatus, PublicationState
from shared.posts import repo
from shared.posts.model import Publication
from shared.storage.engine import Database
from simulators.max import FakeMax
from simulators.telegram import FakeTelegram
from simulators.waiting import wait
from tests.harness import ADMIN_CHAT
from tests.test_posts_process import cli, wait_posts
from tests.test_process import HOLD, STARTED_AND_SENDING, env_for, start, wait_log

MODERATION_LINE = "MAX: citizens' questions need the Telegram admin chat"


def max_env(tmp_path: Path, fake: FakeMax, tg: FakeTelegram | None = None) -> dict[str, str]:
    env = env_for(tmp_path, tg, None)
    env["GLASHATAI_SCHEDULER__SYNC_SECONDS"] = "0.5"
    env["GLASHATAI_MAX__TOKEN"] = fake.token
    env["GLASHATAI_MAX__API_BASE"] = fake.base_url
    env["GLASHATAI_MAX__CHANNEL_ID"] = str(fake.channel_id)
    env["GLASHATAI_MAX__LONGPOLL_TIMEOUT"] = "1"
    return env


async def test_run_with_only_max_publishes_a_scheduled_post(tmp_path: Path, max: FakeMax) -> None:
    env = max_env(tmp_path, max)
    (tmp_path / "r.md").write_text("Плановое **отключение** воды.")
    proc = start(tmp_path, env)
    try:
        log = await wait_log(tmp_path / "run.log", "Glashatai is running")
        assert "running: max" in log
        due = (utcnow() + timedelta(seconds=3)).astimezone(ZoneInfo("Asia/Krasnoyarsk"))
        done = cli(
            tmp_path, env, "create", "--text-file", "r.md",
            "--at", due.replace(microsecond=0).strftime("%Y-%m-%d %H:%M:%S"),
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        db = Database(env["GLASHATAI_DATABASE__URL"])
        try:
            await wait_posts(db, [1], {PostStatus.PUBLISHED})
        finally:
            await db.dispose()
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.to_thread(proc.wait, 15)
    [message] = max.channel_messages()
    assert message["text"] == "Плановое отключение воды."
    assert {"type": "strong", "from": 9, "length": 10} in message["markup"]
    log = (tmp_path / "run.log").read_text()
    assert log.count(MODERATION_LINE) == 1
    assert "bots/max" not in log, "no traceback from the MAX platform"
    assert max.token not in log


async def test_killed_mid_send_and_restarted_leaves_no_duplicate(
    tmp_path: Path, max: FakeMax, tg: FakeTelegram
) -> None:
    env = max_env(tmp_path, max, tg)
    for n in range(2):
        (tmp_path / f"r{n}.md").write_text(f"Пресс-релиз номер {n}.")
        done = cli(tmp_path, env, "create", "--text-file", f"r{n}.md", "--to", "max")
        assert done.returncode == 0, done.stderr
    # The first channel send is performed and its answer held: the kill lands mid-call.
    max.fail_timeout_after_accept("sendMessage", delay=HOLD)
    env["GLASHATAI_MAX__REQUEST_TIMEOUT"] = "120"  # the client waits; the kill comes first
    proc = start(tmp_path, env, "run0")
    # The fake performs a send in the step that logs it, then holds the answer.
    await wait(lambda: len(max.channel_messages()) == 1, timeout=STARTED_AND_SENDING)
    assert len(max.calls("sendMessage")) == 1
    proc.send_signal(signal.SIGKILL)
    await asyncio.to_thread(proc.wait, 10)
    proc = start(tmp_path, env, "final")
    db = Database(env["GLASHATAI_DATABASE__URL"])

    async def settled() -> list[Publication] | None:
        async with db.read() as conn:
            found = [p for i in (1, 2) for p in await repo.publications_of(conn, i)]
        done = {PublicationState.PUBLISHED, PublicationState.UNKNOWN}
        return found if all(p.state in done for p in found) else None

    try:
        pubs = await wait(settled, timeout=40, interval=0.3)
        notices = await wait(
            lambda: [
                m.get("text") or ""
                for m in tg.messages(ADMIN_CHAT)
                if "неизвестно, опубликован ли он" in (m.get("text") or "")
            ],
            timeout=20,
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.to_thread(proc.wait, 15)
        await db.dispose()
    states = [p.state for p in pubs]
    assert states.count(PublicationState.UNKNOWN) == 1, states
    assert all(p.platform == "max" for p in pubs)
    texts = [m["text"] for m in max.channel_messages()]
    for n in range(2):
        assert texts.count(f"Пресс-релиз номер {n}.") == 1, texts
    [unknown] = [p for p in pubs if p.state is PublicationState.UNKNOWN]
    assert any(f"Пост №{unknown.post_id}" in text for text in notices), notices
