"""Issue 8, points 5, 8 and 10 for ``glashatai post`` and ``glashatai hotline``, through the
real command: quiet hours and far dates said out loud, Russian messages from the text
catalogue, ``post publish`` / ``post schedule`` for drafts, and a never-published post
cancelled (not "deleted everywhere")."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path

from shared.clock import utcnow
from shared.domain import OutboxAction, PostStatus
from shared.outbox import store
from shared.posts import repo, service
from shared.posts.model import REF_PUBLICATION
from shared.richtext import from_plain
from shared.services import Services
from shared.storage.engine import Database
from shared.storage.migrate import upgrade
from shared.texts import Texts
from simulators.telegram import FakeTelegram
from simulators.vk import FakeVK
from tests.harness import settings_for
from tests.posts_harness import post_settings, running_app, wait_post
from tests.test_process import GLASHATAI, env_for

QUIET = {
    "GLASHATAI_PUBLISHING__QUIET_HOURS_START": "22:00",
    "GLASHATAI_PUBLISHING__QUIET_HOURS_END": "07:00",
}


def run(
    tmp_path: Path, env: dict[str, str], *args: str, code: int = 0
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [GLASHATAI, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == code, (args, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    if code:
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    return done


def prepared(tmp_path: Path, tg: FakeTelegram, vk: FakeVK | None = None) -> dict[str, str]:
    """The environment of a real ``glashatai``, its database created."""
    env = env_for(tmp_path, tg, vk)
    run(tmp_path, env, "db", "upgrade")
    return env


def next_year_day() -> str:
    """A date safely ahead (a month), as the CLI takes it."""
    return f"{(utcnow() + timedelta(days=30)):%Y-%m-%d}"


def test_quiet_hours_are_said_out_loud(tmp_path: Path, tg: FakeTelegram) -> None:
    env = {**prepared(tmp_path, tg), **QUIET}
    (tmp_path / "r.md").write_text("Текст")
    day = next_year_day()
    done = run(tmp_path, env, "post", "create", "--text-file", "r.md", "--at", f"{day} 23:30")
    lines = done.stdout.strip().splitlines()
    assert lines[0].startswith("Пост №1 запланирован на")
    assert "тихие часы (22:00–07:00)" in lines[1]
    assert "07:00" in lines[1].split("пост выйдет в", 1)[1]
    assert "--urgent" in lines[1]
    urgent = run(
        tmp_path, env, "post", "create", "--text-file", "r.md", "--at", f"{day} 23:30", "--urgent"
    )
    assert "тихие часы" not in urgent.stdout
    daytime = run(tmp_path, env, "post", "create", "--text-file", "r.md", "--at", f"{day} 12:00")
    assert "тихие часы" not in daytime.stdout


def test_a_date_over_a_year_ahead_needs_yes(tmp_path: Path, tg: FakeTelegram) -> None:
    env = prepared(tmp_path, tg)
    (tmp_path / "r.md").write_text("Текст")
    far = f"{(utcnow() + timedelta(days=400)):%Y-%m-%d} 10:00"
    refused = run(tmp_path, env, "post", "create", "--text-file", "r.md", "--at", far, code=1)
    assert "больше чем через год" in refused.stderr
    assert "--yes" in refused.stderr
    assert run(tmp_path, env, "post", "list").stdout.strip() == "Постов нет."
    done = run(tmp_path, env, "post", "create", "--text-file", "r.md", "--at", far, "--yes")
    assert "Пост №1 запланирован" in done.stdout


async def _draft(tmp_path: Path, tg: FakeTelegram, vk: FakeVK) -> tuple[Database, int]:
    settings = settings_for(tmp_path, tg, vk)
    db = Database(settings.database.url)
    await upgrade(db)
    services = Services(settings=settings, db=db, texts=Texts.load())
    post_id = await service.create(
        services, body=from_plain("Черновик из дайджеста"), created_by="test", draft=True
    )
    return db, post_id


async def test_post_schedule_and_post_publish_for_a_draft(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    env = env_for(tmp_path, tg, vk)
    db, post_id = await _draft(tmp_path, tg, vk)
    try:
        far = f"{(utcnow() + timedelta(days=400)):%Y-%m-%d} 10:00"
        run(tmp_path, env, "post", "schedule", str(post_id), "--at", far, code=1)
        done = run(tmp_path, env, "post", "schedule", str(post_id), "--at", "через 2 часа")
        assert f"Пост №{post_id} запланирован на" in done.stdout
        async with db.read() as conn:
            post = await repo.get(conn, post_id)
        assert post.status is PostStatus.SCHEDULED
        assert post.scheduled_at is not None
        done = run(tmp_path, env, "post", "publish", str(post_id))
        assert done.stdout.strip() == f"Пост №{post_id} отправлен на публикацию."
        async with db.read() as conn:
            post = await repo.get(conn, post_id)
            pubs = await repo.publications_of(conn, post_id)
            sends = [
                item
                for pub in pubs
                for item in await store.by_ref(conn, REF_PUBLICATION, pub.id)
                if item.action is OutboxAction.SEND
            ]
        assert post.status is PostStatus.PUBLISHING
        assert sorted(p.platform for p in pubs) == ["telegram", "vk"]
        assert len(sends) == 2
        again = run(tmp_path, env, "post", "schedule", str(post_id), "--at", "завтра 10:00", code=1)
        assert "публикуется" in again.stderr
        run(tmp_path, env, "post", "publish", "99", code=1)
    finally:
        await db.dispose()


async def test_delete_of_a_never_published_post_says_it_was_cancelled(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    env = env_for(tmp_path, tg, vk)
    db, post_id = await _draft(tmp_path, tg, vk)
    await db.dispose()
    refused = run(tmp_path, env, "post", "delete", str(post_id), code=1)
    assert "--yes" in refused.stderr
    done = run(tmp_path, env, "post", "delete", str(post_id), "--yes")
    assert done.stdout.strip() == f"Пост №{post_id} ещё не был опубликован: он отменён."
    assert "удаляется" not in done.stdout
    shown = run(tmp_path, env, "post", "show", str(post_id))
    assert shown.stdout.startswith(f"Пост №{post_id}: отменён (")


def test_post_messages_are_russian(tmp_path: Path, tg: FakeTelegram) -> None:
    env = prepared(tmp_path, tg)
    assert run(tmp_path, env, "post", "list").stdout.strip() == "Постов нет."
    assert "поста №99 нет" in run(tmp_path, env, "post", "show", "99", code=1).stderr
    assert "файл не найден: missing.md" in (
        run(tmp_path, env, "post", "create", "--text-file", "missing.md", code=1).stderr
    )
    (tmp_path / "r.md").write_text("Первый **текст**")
    created = run(tmp_path, env, "post", "create", "--text-file", "r.md", "--at", "через 2 часа")
    assert created.stdout.startswith("Пост №1 запланирован на ")
    shown = run(tmp_path, env, "post", "show", "1").stdout
    assert shown.startswith("Пост №1: запланирован (пресс-релиз)")
    assert "Площадки: telegram" in shown
    assert "запланирован" in run(tmp_path, env, "post", "list").stdout
    assert run(tmp_path, env, "post", "cancel", "1").stdout.strip() == "Пост №1 отменён."


def test_hotline_close_of_a_missing_hotline(tmp_path: Path, tg: FakeTelegram) -> None:
    env = prepared(tmp_path, tg)
    done = run(tmp_path, env, "hotline", "close", "99", code=1)
    assert "горячей линии №99 нет" in done.stderr
    assert "горячей линии №99 нет" in run(tmp_path, env, "hotline", "digest", "99", code=1).stderr
    assert run(tmp_path, env, "hotline", "list").stdout.strip() == "Горячих линий нет."


def test_publishing_now_in_quiet_hours_is_said_out_loud(tmp_path: Path, tg: FakeTelegram) -> None:
    env = prepared(tmp_path, tg)
    tz = settings_for(tmp_path).tz
    local = utcnow().astimezone(tz)
    start, end = local - timedelta(hours=1), local + timedelta(hours=1)
    env["GLASHATAI_PUBLISHING__QUIET_HOURS_START"] = f"{start:%H:%M}"
    env["GLASHATAI_PUBLISHING__QUIET_HOURS_END"] = f"{end:%H:%M}"
    (tmp_path / "r.md").write_text("Текст")
    done = run(tmp_path, env, "post", "create", "--text-file", "r.md")
    first, note = done.stdout.strip().splitlines()
    assert first.startswith("Пост №1 запланирован на")  # held to the end of the quiet hours
    assert f"{end:%H:%M}" in first
    assert note.startswith(f"Сейчас тихие часы ({start:%H:%M}–{end:%H:%M})")
    assert "--urgent" in note
    urgent = run(tmp_path, env, "post", "create", "--text-file", "r.md", "--urgent")
    assert urgent.stdout.strip() == "Пост №2 отправлен на публикацию."


def test_unknown_platform_lists_the_configured_ones_max_included(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    """A typo in --to is answered with the platforms a post can go to here, as configured
    (MAX among them when it is), not a fixed list."""
    env = env_for(tmp_path, tg, None)
    env["GLASHATAI_MAX__TOKEN"] = "maxtokenAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    env["GLASHATAI_MAX__CHANNEL_ID"] = "-70000001"
    run(tmp_path, env, "db", "upgrade")
    (tmp_path / "r.md").write_text("Текст", encoding="utf-8")
    done = run(
        tmp_path, env, "post", "create", "--text-file", "r.md", "--to", "telegram,maks", code=1
    )
    assert "неизвестная площадка «maks» (есть: telegram, max)" in done.stderr


async def test_post_show_says_when_a_post_went_out_and_publish_in_quiet_hours_says_so(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    """A post planned for later and published now from the command line, in quiet hours:
    ``post publish`` says it goes out now despite them, and ``post show`` no longer gives the
    planned time as the publication time once it is out."""
    env = prepared(tmp_path, tg)
    tz = settings_for(tmp_path).tz
    local = utcnow().astimezone(tz)
    quiet = {
        "quiet_hours_start": f"{local - timedelta(hours=1):%H:%M}",
        "quiet_hours_end": f"{local + timedelta(hours=1):%H:%M}",
    }
    env["GLASHATAI_PUBLISHING__QUIET_HOURS_START"] = quiet["quiet_hours_start"]
    env["GLASHATAI_PUBLISHING__QUIET_HOURS_END"] = quiet["quiet_hours_end"]
    (tmp_path / "r.md").write_text("Текст")
    run(tmp_path, env, "post", "create", "--text-file", "r.md", "--at", "через 3 часа")
    planned = run(tmp_path, env, "post", "show", "1").stdout.splitlines()
    assert planned[0] == "Пост №1: запланирован (пресс-релиз)"
    assert planned[1].startswith("Время публикации: ")
    planned_at = planned[1].removeprefix("Время публикации: ")
    done = run(tmp_path, env, "post", "publish", "1")
    assert done.stdout.strip() == (
        f"Пост №1 отправлен на публикацию сейчас, несмотря на тихие часы "
        f"({quiet['quiet_hours_start']}–{quiet['quiet_hours_end']})."
    )
    async with running_app(post_settings(tmp_path, tg, None, publishing=quiet)) as app:
        await wait_post(app, 1, lambda post, pubs: post.status is PostStatus.PUBLISHED)
    shown = run(tmp_path, env, "post", "show", "1").stdout
    assert shown.startswith("Пост №1: опубликован (пресс-релиз)\nОпубликован: "), shown
    assert f"Был запланирован на: {planned_at}\n" in shown
    assert "Время публикации" not in shown
    # A post published on time says only when it went out.
    daytime = {**env, **{f"GLASHATAI_PUBLISHING__QUIET_HOURS_{e}": "" for e in ("START", "END")}}
    run(tmp_path, daytime, "post", "create", "--text-file", "r.md")
    async with running_app(post_settings(tmp_path, tg, None)) as app:
        await wait_post(app, 2, lambda post, pubs: post.status is PostStatus.PUBLISHED)
    shown = run(tmp_path, env, "post", "show", "2").stdout.splitlines()
    assert shown[1].startswith("Опубликован: ")
    assert not shown[2].startswith(("Был запланирован", "Время публикации")), shown
