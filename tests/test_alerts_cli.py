"""``glashatai alert …`` refusals: one Russian line on stderr and exit 1, nothing sent."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from shared.alerts import service
from shared.clock import utcnow
from shared.domain import PostKind, PostStatus
from shared.posts import repo
from shared.posts.model import Post
from shared.storage import citizens
from shared.storage.engine import Database
from simulators.telegram import FakeTelegram, make_png
from simulators.vk import FakeVK
from tests.alerts_harness import subscribers
from tests.harness import settings_for
from tests.test_cli_errors import env_with, glashatai, one_line
from tests.test_cli_posts import run
from tests.test_process import env_for

TOKEN = "123456:ABCdefGhIJKlmnoPQRstuVWXyz0123456789"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["send", "--topic", "погода", "--text-file", "{text}"], "Темы «погода» нет"),
        (["send", "--topic", "1", "--text-file", "{home}/none.txt"], "none.txt нет"),
        (["send", "--topic", "1", "--text-file", "{photo}"], "не текст"),
        (["send", "--topic", "1", "--text-file", "{text}", "--photo", "{text}"], "не изображение"),
        # Telegram refuses a photo longer than 20 times its width: no subscriber would get it.
        (["send", "--topic", "1", "--text-file", "{text}", "--photo", "{tall}"], "вытянуто в 21"),
        (["status", "99"], "Оповещения №99 нет"),
        (["cancel", "99"], "Оповещения №99 нет"),
    ],
)
def test_refusals_are_one_line(tmp_path: Path, args: list[str], needle: str) -> None:
    home = tmp_path / "home"
    home.mkdir()
    text = tmp_path / "alert.txt"
    text.write_text("Гололёд на дорогах", encoding="utf-8")
    photo = tmp_path / "a.bin"
    photo.write_bytes(b"\x89PNG\x00\x01\x02\xff\xfe" * 20)
    tall = tmp_path / "map.png"
    tall.write_bytes(make_png(100, 2100))
    values = {"text": str(text), "home": str(home), "photo": str(photo), "tall": str(tall)}
    filled = [a.format(**values) for a in args]
    env = env_with(home, telegram__token=TOKEN)
    glashatai(home, "db", "upgrade", env=env)
    done = glashatai(home, "alert", *filled, env=env)
    assert done.returncode == 1
    assert needle in one_line(done)
    assert "№" not in done.stdout, "nothing was stored"


async def _subscribed(tmp_path: Path) -> None:
    """Two reachable Telegram subscribers, one who blocked the bot, one on VK."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/glashatai.db")
    try:
        await subscribers(db, "telegram", [7001, 7002, 7003])
        await subscribers(db, "vk", [501])
        async with db.write() as conn:
            blocked = await citizens.get_or_create(conn, "telegram", "7003")
            await citizens.mark_unreachable(conn, blocked.id)
    finally:
        await db.dispose()


async def _post_of_alert(tmp_path: Path, alert_id: int) -> Post:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/glashatai.db")
    try:
        async with db.read() as conn:
            alert = await service.get(conn, alert_id)
            assert alert.post_id is not None
            return await repo.get(conn, alert.post_id)
    finally:
        await db.dispose()


async def test_send_at_night_with_also_post_publishes_the_post_now_and_says_so(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    """The figures add up (the subscriber who blocked the bot named apart), and the post of
    the warning goes out with its notices, quiet hours or not, with its number said."""
    env = env_for(tmp_path, tg, vk)
    local = utcnow().astimezone(settings_for(tmp_path).tz)
    start, end = f"{local - timedelta(hours=1):%H:%M}", f"{local + timedelta(hours=1):%H:%M}"
    env["GLASHATAI_PUBLISHING__QUIET_HOURS_START"] = start
    env["GLASHATAI_PUBLISHING__QUIET_HOURS_END"] = end
    run(tmp_path, env, "db", "upgrade")
    await _subscribed(tmp_path)
    (tmp_path / "alert.txt").write_text("Штормовое предупреждение", encoding="utf-8")
    args = ["alert", "send", "--topic", "emergency", "--text-file", "alert.txt", "--also-post"]
    sent, posted = run(tmp_path, env, *args).stdout.strip().splitlines()
    assert sent.startswith(
        "Оповещение №1 «Экстренные сообщения: ЧС, отключения»: подписчиков 4 "
        "(Telegram — 2, ВКонтакте — 1, недоступны (заблокировали бота) — 1)."
    ), sent
    assert posted.startswith(
        f"Пост №1 с тем же текстом публикуется сейчас, несмотря на тихие часы ({start}–{end})"
    ), posted
    assert "glashatai post show 1" in posted
    post = await _post_of_alert(tmp_path, 1)
    assert post.status is PostStatus.PUBLISHING, (post.status, post.scheduled_at)
    assert post.kind is PostKind.ANNOUNCEMENT
    # Without --also-post nothing is said about a post.
    env["GLASHATAI_PUBLISHING__QUIET_HOURS_START"] = ""
    env["GLASHATAI_PUBLISHING__QUIET_HOURS_END"] = ""
    [only] = run(tmp_path, env, *args[:-1]).stdout.strip().splitlines()
    assert only.startswith("Оповещение №2 "), only
    daytime = run(tmp_path, env, *args).stdout.strip().splitlines()[1]
    assert (
        daytime == "Пост №2 с тем же текстом публикуется сейчас. Посмотреть: glashatai post show 2"
    )
