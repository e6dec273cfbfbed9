"""``glashatai hotline …`` and the campaign life cycle: a running app picks CLI-created
hotlines up, announces them on the channel and the wall, and sums them up at the end."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from bots.cli import main
from shared.clock import utcnow
from shared.domain import QuestionStatus
from shared.hotlines import campaigns, moderation
from shared.hotlines import questions as repo
from shared.hotlines.model import Moderator
from shared.services import Services
from shared.storage import citizens
from shared.storage.engine import Database
from shared.storage.migrate import upgrade
from shared.texts import Texts
from simulators.telegram import FakeTelegram
from simulators.vk import FakeVK
from tests.harness import ADMIN_CHAT, CHANNEL_ID, MODERATOR, settings_for
from tests.hotline_harness import (
    cards,
    containing,
    fast_overrides,
    hotline_people,
    running,
    tg_consent,
    tg_text,
    wait,
)

CITIZEN = 7201


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("GLASHATAI_DATABASE__URL", f"sqlite+aiosqlite:///{tmp_path}/glashatai.db")
    return tmp_path


def test_help_for_every_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    commands = ("create", "list", "close", "digest")
    for argv in (["hotline"], *(["hotline", c] for c in commands)):
        with pytest.raises(SystemExit) as exit_info:
            main([*argv, "--help"])
        assert exit_info.value.code == 0
    assert "--topic" in capsys.readouterr().out


def test_create_list_close(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "hotline",
                "create",
                "--topic",
                "Отопление «зимой»",
                "--start",
                "2099-12-01 10:00",
                "--end",
                "2099-12-01 12:00",
                "--description",
                "Тепло & свет",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert (
        "Горячая линия №1 «Отопление «зимой»» создана: с 01.12.2099 10:00 до 01.12.2099 12:00."
        " Часовой пояс: Asia/Krasnoyarsk."
    ) in out
    assert main(["hotline", "list"]) == 0
    listing = capsys.readouterr().out
    assert "\tзапланирована\t" in listing
    assert "Отопление «зимой»" in listing
    assert main(["hotline", "close", "1"]) == 0
    assert "Горячая линия №1 «Отопление «зимой»» закрыта." in capsys.readouterr().out
    assert main(["hotline", "list"]) == 0
    assert "\tзакрыта\t" in capsys.readouterr().out
    assert main(["hotline", "close", "1"]) == 1
    assert "уже закрыта" in capsys.readouterr().err
    assert main(["hotline", "close", "42"]) == 1


async def _hotlines_with_questions(env: Path) -> None:
    """№1 «Отопление»: one question answered, one rejected, one waiting, and two that a
    banned citizen wrote (kept out of sight); №2 «Дороги»: one waiting, nobody banned."""
    db = Database(f"sqlite+aiosqlite:///{env}/glashatai.db")
    await upgrade(db)
    services = Services(settings=settings_for(env), db=db, texts=Texts.load())
    mod = Moderator(MODERATOR, "Ольга", f"tg:{MODERATOR}")
    start = utcnow() + timedelta(days=1)
    try:
        async with db.write() as conn:
            ids = []
            for topic in ("Отопление", "Дороги"):
                hotline = await campaigns.create(
                    conn, topic=topic, starts_at=start, ends_at=start + timedelta(hours=2),
                    created_by="test",
                )  # fmt: skip
                ids.append(hotline.id)
            asked = []
            for user, hotline_id in (("1", ids[0]), ("2", ids[0]), ("3", ids[0]), ("4", ids[1])):
                c = await citizens.get_or_create(conn, "telegram", user)
                asked.append(await repo.add(conn, citizen_id=c.id, hotline_id=hotline_id, text="?"))
            banned = await citizens.get_or_create(conn, "telegram", "5")
            for _ in range(2):
                await repo.add(
                    conn, citizen_id=banned.id, hotline_id=ids[0], text="Реклама",
                    status=QuestionStatus.BANNED,
                )  # fmt: skip
        await moderation.answer(services, mod, asked[0], "Ответ")
        await moderation.reject(services, mod, asked[1], "offtopic")
    finally:
        await db.dispose()


def test_list_and_show_figures_add_up(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """«получено» is answered + rejected + waiting, the rejected ones shown too; what a
    banned citizen wrote is counted apart, in /stats's words, and only when there is any."""
    asyncio.run(_hotlines_with_questions(env))
    heating = "получено 3: с ответом 1, отклонено 1, ждут ответа 1; от заблокированных 2"
    roads = "получено 1: с ответом 0, отклонено 0, ждут ответа 1"
    assert main(["hotline", "list"]) == 0
    listing = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert [(row[0], row[3], row[4]) for row in listing] == [
        ("1", "Отопление", f"({heating})"),
        ("2", "Дороги", f"({roads})"),
    ]
    assert main(["hotline", "show", "1"]) == 0
    assert capsys.readouterr().out.splitlines()[0].endswith(f"({heating})")
    assert main(["hotline", "show", "2"]) == 0
    assert capsys.readouterr().out.splitlines()[0].endswith(f"({roads})")


@pytest.mark.parametrize(
    ("start", "end", "error"),
    [
        ("завтра", "2099-12-01 12:00", "не понимаю время"),
        ("2099-12-01 12:00", "2099-12-01 10:00", "конец должен быть позже начала"),
        ("2000-12-01 10:00", "2000-12-01 12:00", "конец уже прошёл"),
    ],
)
def test_bad_times_create_nothing(
    env: Path, capsys: pytest.CaptureFixture[str], start: str, end: str, error: str
) -> None:
    assert main(["hotline", "create", "--topic", "Т", "--start", start, "--end", end]) == 1
    assert error in capsys.readouterr().err
    assert main(["hotline", "list"]) == 0
    assert "Горячих линий нет." in capsys.readouterr().out


@pytest.fixture
def fakes(tg: FakeTelegram, vk: FakeVK) -> tuple[FakeTelegram, FakeVK]:
    """conftest's strict fakes (limits and teardown checks on) with the hotline's people."""
    return hotline_people(tg), vk


async def test_running_app_picks_up_cli_hotline_announces_and_sums_up(
    tmp_path: Path, fakes: tuple[FakeTelegram, FakeVK], monkeypatch: pytest.MonkeyPatch
) -> None:
    tg, vk = fakes
    overrides = fast_overrides(scheduler={"sync_seconds": 0.3})
    async with running(tmp_path, tg, vk, overrides=overrides) as app:
        monkeypatch.setenv("GLASHATAI_DATABASE__URL", app.settings.database.url)
        monkeypatch.setenv("GLASHATAI_TELEGRAM__TOKEN", tg.token)
        monkeypatch.setenv("GLASHATAI_TELEGRAM__ADMIN_CHAT_ID", str(ADMIN_CHAT))
        tz = app.settings.tz
        start = (utcnow() - timedelta(minutes=1)).astimezone(tz).strftime("%Y-%m-%d %H:%M")
        end = (utcnow() + timedelta(hours=1)).astimezone(tz).strftime("%Y-%m-%d %H:%M")
        code = await asyncio.to_thread(
            main,
            ["hotline", "create", "--topic", "Дороги", "--start", start, "--end", end,
             "--description", "Ямы и мосты"],
        )  # fmt: skip
        assert code == 0
        post = await wait(lambda: containing(tg.messages(CHANNEL_ID), "Дороги"), timeout=10)
        assert "Ямы и мосты" in tg_text(post[0])
        await wait(lambda: [p for p in vk.wall_posts() if "Дороги" in p["message"]], timeout=10)
        await tg_consent(tg, CITIZEN)
        tg.user_message(CITIZEN, text="Когда отремонтируют улицу?")
        card = (await wait(lambda: cards(tg)))[0]
        tg.user_message(
            MODERATOR, ADMIN_CHAT, text="Весной.", reply_to_message_id=card["message_id"]
        )
        await wait(lambda: containing(tg.messages(CITIZEN), "Весной."))
        tg.user_message(CITIZEN, text="А тротуары?")
        await wait(lambda: len(cards(tg)) == 2)
        assert await asyncio.to_thread(main, ["hotline", "close", "1"]) == 0
        summary = await wait(lambda: containing(tg.messages(ADMIN_CHAT), "Горячая линия закрыта"))
        text = tg_text(summary[0])
        assert "Получено вопросов: 2" in text
        assert "Отвечено: 1" in text
        assert "Отклонено: 0" in text
        assert "Ждут ответа: 1" in text
        # After the end the citizen hears so, and the next question is kept as a general one.
        tg.user_message(CITIZEN, text="Ещё вопрос")
        general = await wait(lambda: containing(tg.messages(CITIZEN), "Госуслуги"))
        assert "не работает" in tg_text(general[-1])
        await wait(lambda: [c for c in cards(tg) if "Общий вопрос" in tg_text(c)])
        assert len(containing(tg.messages(CHANNEL_ID), "Дороги")) == 1, "announced once"


async def test_planner_opens_and_closes_on_time(
    tmp_path: Path, fakes: tuple[FakeTelegram, FakeVK]
) -> None:
    tg, vk = fakes
    async with running(
        tmp_path, tg, vk, overrides=fast_overrides(scheduler={"sync_seconds": 0.3})
    ) as app:
        now = utcnow()
        async with app.services.db.write() as conn:
            await campaigns.create(
                conn, topic="Скоро", starts_at=now + timedelta(seconds=1),
                ends_at=now + timedelta(seconds=3), created_by="test",
            )  # fmt: skip
            await campaigns.create(
                conn, topic="Потом", starts_at=now + timedelta(days=1),
                ends_at=now + timedelta(days=1, hours=2), created_by="test",
            )  # fmt: skip
        await tg_consent(tg, CITIZEN)
        assert containing(tg.messages(CITIZEN), "Ближайшая горячая линия «Скоро»")
        await wait(lambda: containing(tg.messages(CHANNEL_ID), "Скоро"), timeout=10)
        await wait(lambda: containing(tg.messages(ADMIN_CHAT), "Горячая линия закрыта"), timeout=10)
        async with app.services.db.read() as conn:
            statuses = [h.status.value for h in await campaigns.listing(conn)]
        assert statuses == ["closed", "scheduled"]
