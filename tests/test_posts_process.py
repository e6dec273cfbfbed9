"""Press releases through the CLI and a real ``glashatai run`` process, killed mid-way."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from shared.clock import utcnow
from shared.domain import OutboxState, PostStatus, PublicationState
from shared.outbox import store
from shared.posts import repo
from shared.posts.model import REF_NOTICE, Publication
from shared.storage.engine import Database
from simulators.telegram import FakeTelegram, make_png
from simulators.vk import FakeVK
from simulators.waiting import wait
from tests.harness import ADMIN_CHAT, CHANNEL_ID
from tests.test_process import (
    GLASHATAI,
    HOLD,
    STARTED_AND_SENDING,
    env_for,
    held,
    start,
    wait_log,
)


def post_env(tmp_path: Path, tg: FakeTelegram, vk: FakeVK) -> dict[str, str]:
    env = env_for(tmp_path, tg, vk)
    env["GLASHATAI_SCHEDULER__SYNC_SECONDS"] = "0.5"
    env["GLASHATAI_PUBLISHING__QUIET_HOURS_START"] = ""
    env["GLASHATAI_PUBLISHING__QUIET_HOURS_END"] = ""
    return env


def cli(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [GLASHATAI, "post", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def wait_posts(
    db: Database, ids: list[int], statuses: set[PostStatus], timeout: float = 40.0
) -> None:
    seen: dict[int, PostStatus] = {}

    async def reached() -> bool:
        async with db.read() as conn:
            seen.update({i: (await repo.get(conn, i)).status for i in ids})
        return all(status in statuses for status in seen.values())

    await wait(reached, timeout, interval=0.2, describe=lambda: seen)


async def test_cli_post_with_album_and_6000_characters_picked_up_by_a_running_app(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    env = post_env(tmp_path, tg, vk)
    paragraphs = [
        f"Абзац {n}: " + " ".join(f"слово{n}_{i}" for i in range(90)) + "." for n in range(7)
    ]
    text = (
        "# ignored heading\n\n**Важно:** [сайт](https://example.org/a?b=1&c=2)\n\n"
        + "\n\n".join(paragraphs)
    )
    assert len(text) > 6000
    (tmp_path / "release.md").write_text(text)
    for n in range(3):
        (tmp_path / f"p{n}.png").write_bytes(make_png(30 + n, 30))
    (tmp_path / "decree.pdf").write_bytes(b"%PDF-1.4 test decree")
    proc = start(tmp_path, env)
    try:
        await wait_log(tmp_path / "run.log", "Glashatai is running")
        tz = "Asia/Krasnoyarsk"
        from zoneinfo import ZoneInfo

        due = (utcnow() + timedelta(seconds=4)).astimezone(ZoneInfo(tz)).replace(microsecond=0)
        done = cli(
            tmp_path, env, "create", "--text-file", "release.md", "--title", "Пресс-релиз",
            "--photo", "p0.png", "--photo", "p1.png", "--photo", "p2.png",
            "--doc", "decree.pdf", "--at", due.strftime("%Y-%m-%d %H:%M:%S"),
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        # Scheduled, or (on a machine slow to start the command) already due and sent out.
        assert done.stdout.startswith("Пост №1 "), done.stdout
        db = Database(env["GLASHATAI_DATABASE__URL"])
        try:
            await wait_posts(db, [1], {PostStatus.PUBLISHED})
            async with db.read() as conn:
                post = await repo.get(conn, 1)
                pubs = await repo.publications_of(conn, 1)
        finally:
            await db.dispose()
        assert post.published_at is not None
        # Not before its time; and by the running app, the CLI having long exited. How soon
        # after its time is a speed figure (Telegram's per-chat pacing of the album, the
        # document and two texts alone takes ~18 s), not this test's to time.
        assert post.published_at >= due
        assert {p.state for p in pubs} == {PublicationState.PUBLISHED}
        assert all(p.url for p in pubs)
        listing = cli(tmp_path, env, "list")
        assert "опубликован" in listing.stdout
        show = cli(tmp_path, env, "show", "1")
        assert "https://vk.com/wall-" in show.stdout
        assert "https://t.me/town_news/" in show.stdout
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.to_thread(proc.wait, 15)
    channel = tg.messages(CHANNEL_ID)
    shown = "\n".join(m.get("text") or m.get("caption") or "" for m in channel)
    for para in paragraphs:
        assert para in shown
    assert "Пресс-релиз" in shown
    assert len([m for m in channel if m.get("photo")]) == 3
    assert len([m for m in channel if m.get("document")]) == 1
    wall = vk.wall_posts()
    assert len(wall) == 1
    for para in paragraphs:
        assert para in wall[0]["message"]
    assert "сайт (https://example.org/a?b=1&c=2)" in wall[0]["message"]
    assert len(wall[0]["attachments"]) == 4
    assert "Traceback" not in (tmp_path / "run.log").read_text()


def test_cli_refuses_bad_input_and_writes_nothing(tmp_path: Path, tg: FakeTelegram) -> None:
    env = post_env(tmp_path, tg, None)  # type: ignore[arg-type]
    (tmp_path / "r.md").write_text("Текст")
    (tmp_path / "fake.png").write_text("not an image")
    (tmp_path / "ok.png").write_bytes(make_png())
    # The database exists (a CLI command never creates it): the refusals must leave it empty.
    upgraded = subprocess.run(
        [GLASHATAI, "db", "upgrade"], cwd=tmp_path, env=env, capture_output=True, timeout=60
    )
    assert upgraded.returncode == 0, upgraded.stderr
    cases = [
        (["--text-file", "missing.md"], "файл не найден"),
        (["--text-file", "r.md", "--photo", "fake.png"], "это не изображение"),
        (["--text-file", "r.md", *(["--photo", "ok.png"] * 11)], "10"),
        (["--text-file", "r.md", "--at", "2020-01-01 10:00"], "прошло"),
        (["--text-file", "r.md", "--to", "facebook"], "facebook"),
        (["--text-file", "r.md", "--to", "vk"], "vk"),
        (["--text-file", "r.md", "--at", "someday"], "someday"),
    ]
    for args, needle in cases:
        done = cli(tmp_path, env, "create", *args)
        assert done.returncode == 1, (args, done.stdout, done.stderr)
        assert needle in done.stderr, (args, done.stderr)
        assert "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    listing = cli(tmp_path, env, "list")
    assert "Постов нет." in listing.stdout


async def test_killed_mid_publishing_and_restarted_leaves_no_duplicate(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    env = post_env(tmp_path, tg, vk)
    for n in range(3):
        (tmp_path / f"r{n}.md").write_text(f"Пресс-релиз номер {n}.")
        done = cli(tmp_path, env, "create", "--text-file", f"r{n}.md")
        assert done.returncode == 0, done.stderr
    # In each round, a channel post and a wall post are held after the platform accepted
    # them, and the process is killed while both are out.
    for round_ in range(2):
        tg.fail("sendMessage", "timeout_after_accept", chat_id="@town_news", delay=HOLD)
        vk.fail_timeout_after_accept("wall.post", delay=HOLD)
        proc = start(tmp_path, env, f"run{round_}")
        await wait(
            lambda n=round_ + 1: held(tg, vk) == (n, n),
            timeout=STARTED_AND_SENDING,
            describe=lambda: held(tg, vk),
        )
        proc.send_signal(signal.SIGKILL)
        await asyncio.to_thread(proc.wait, 10)
    proc = start(tmp_path, env, "final")
    db = Database(env["GLASHATAI_DATABASE__URL"])
    told: dict[int, OutboxState | None] = {}

    async def settled() -> list[Publication] | None:
        async with db.read() as conn:
            found = [p for i in (1, 2, 3) for p in await repo.publications_of(conn, i)]
        done = {PublicationState.PUBLISHED, PublicationState.UNKNOWN}
        return found if all(p.state in done for p in found) else None

    try:
        await wait_posts(db, [1, 2, 3], {PostStatus.PUBLISHED, PostStatus.PUBLISHING}, 5)
        pubs = await wait(settled, timeout=90, interval=0.3)
        # The office's notice of each unknown channel post is queued with its outcome and
        # sent after it: waited for before this process is stopped. A notice queued by a
        # run that was killed while that notice's own call was out is itself unknown (at
        # most one unknown per kill, shown to a person): never sent twice either.
        for pub in pubs:
            if pub.platform == "telegram" and pub.state is PublicationState.UNKNOWN:
                await wait(lambda n=pub.post_id: unknown_told(db, n), timeout=60)
                told[pub.post_id] = await unknown_told(db, pub.post_id)
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.to_thread(proc.wait, 15)
        await db.dispose()
    states = {(p.post_id, p.platform): p.state for p in pubs}
    assert set(states.values()) <= {PublicationState.PUBLISHED, PublicationState.UNKNOWN}
    # Both kills landed while a channel post was out: the first two are unknown, not re-sent.
    assert states[(1, "telegram")] is PublicationState.UNKNOWN, states
    assert states[(2, "telegram")] is PublicationState.UNKNOWN, states
    texts = [m.get("text") for m in tg.messages(CHANNEL_ID)]
    wall = [p["message"] for p in vk.wall_posts() if not p["deleted"]]
    for n in range(3):
        body = f"Пресс-релиз номер {n}."
        assert wall.count(body) == 1, wall  # VK drops a repeated guid
        on_channel = texts.count(body)
        if states[(n + 1, "telegram")] is PublicationState.PUBLISHED:
            assert on_channel == 1, (n, texts)
        else:
            assert on_channel <= 1
            sent = told[n + 1] is OutboxState.SENT
            assert unknown_noticed(tg, n + 1) or not sent, "a sent notice is in the chat"


async def unknown_told(db: Database, post_id: int) -> OutboxState | None:
    """How the office's «unknown» notice about the post ended: sent, or itself unknown (a
    kill landed on its call); None while it is still on its way."""
    async with db.read() as conn:
        rows = await store.by_ref(conn, REF_NOTICE, post_id)
    ended = {OutboxState.SENT, OutboxState.UNKNOWN}
    states = [r.state for r in rows if r.payload.get("extra", {}).get("role") == "unknown"]
    return next((s for s in states if s in ended), None)


def unknown_noticed(tg: FakeTelegram, post_id: int) -> bool:
    notices = [m.get("text") or "" for m in tg.messages(ADMIN_CHAT)]
    return any(f"Пост №{post_id} (Telegram): неизвестно" in t for t in notices)


@pytest.mark.parametrize(
    "args",
    [["post"], ["post", "create"], ["post", "list"], ["post", "show"], ["post", "cancel"],
     ["post", "edit"], ["post", "delete"], ["post", "publish"], ["post", "schedule"],
     ["post", "retry"]],
)  # fmt: skip
def test_every_post_subcommand_has_help(args: list[str]) -> None:
    done = subprocess.run([GLASHATAI, *args, "--help"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0
    assert "usage: glashatai post" in done.stdout


def test_cli_show_edit_and_cancel_a_scheduled_post(tmp_path: Path, tg: FakeTelegram) -> None:
    env = post_env(tmp_path, tg, None)  # type: ignore[arg-type]
    (tmp_path / "r.md").write_text("Первый **текст** со [ссылкой](https://example.org).")
    (tmp_path / "new.md").write_text("- пункт один\n- пункт два")
    done = cli(tmp_path, env, "create", "--text-file", "r.md", "--at", "через 2 часа")
    assert done.returncode == 0, done.stderr
    assert "Пост №1 запланирован" in done.stdout
    show = cli(tmp_path, env, "show", "1")
    assert "Первый текст со ссылкой (https://example.org)." in show.stdout
    assert cli(tmp_path, env, "edit", "1", "--text-file", "new.md").returncode == 0
    assert "• пункт два" in cli(tmp_path, env, "show", "1").stdout
    assert cli(tmp_path, env, "cancel", "1").returncode == 0
    again = cli(tmp_path, env, "cancel", "1")
    assert again.returncode == 1
    assert "отменён" in again.stderr
    missing = cli(tmp_path, env, "show", "99")
    assert missing.returncode == 1
    assert "99" in missing.stderr
    refused = cli(tmp_path, env, "delete", "1")
    assert refused.returncode == 1
    assert "--yes" in refused.stderr
