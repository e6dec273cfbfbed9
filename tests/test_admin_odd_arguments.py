"""Slips of the finger in the admin chat and the CLI: numbers and dates beyond the calendar,
a spaced «№», a report asked for by its last day. Each gets one clear line, not silence."""

from __future__ import annotations

from pathlib import Path

import pytest

from bots.cli import main
from shared.clock import utcnow
from shared.domain import PostKind
from shared.posts import repo as posts_repo
from simulators.telegram import FakeTelegram
from tests.harness import ADMIN_CHAT, MODERATOR
from tests.hotline_harness import (
    cards,
    containing,
    hotline_people,
    open_hotline,
    running,
    tg_consent,
    tg_text,
    wait,
)
from tests.posts_harness import press, remembered, wait_admin

CITIZEN = 7001


@pytest.fixture
def tg(tg: FakeTelegram) -> FakeTelegram:
    """conftest's strict fake (limits and teardown checks on) with the hotline's people."""
    return hotline_people(tg)


def said(tg: FakeTelegram, needle: str) -> list[dict[str, object]]:
    return containing(tg.messages(ADMIN_CHAT), needle)


async def test_answer_days_beyond_a_year_is_refused_in_one_line(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    async with running(tmp_path, tg) as app:
        hotline = await open_hotline(app)
        tg.user_message(MODERATOR, ADMIN_CHAT, text=f"/answer_days {hotline} 99999999")
        await wait(lambda: said(tg, "срок ответа — не больше 365 дней"))
        tg.user_message(MODERATOR, ADMIN_CHAT, text=f"/answer_days {hotline} 30")
        await wait(lambda: said(tg, "ответить за 30 дн. после закрытия"))


async def test_ban_takes_a_spaced_number_sign(tmp_path: Path, tg: FakeTelegram) -> None:
    async with running(tmp_path, tg) as app:
        await open_hotline(app)
        await tg_consent(tg, CITIZEN)
        tg.user_message(CITIZEN, text="Вопрос")
        await wait(lambda: cards(tg))
        tg.user_message(MODERATOR, ADMIN_CHAT, text="/ban № 1")
        await wait(lambda: said(tg, "Автор вопроса №1 заблокирован"))


async def test_a_publishing_time_beyond_the_calendar_is_refused_in_one_line(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    async with running(tmp_path, tg) as app:
        tg.user_message(MODERATOR, ADMIN_CHAT, text="/post Анонс.")
        preview = await wait_admin(tg, "Анонс.")
        await remembered(app, preview)
        await press(tg, MODERATOR, preview, "Запланировать")
        ask = await wait_admin(tg, "Когда опубликовать пост")
        await remembered(app, ask)
        tg.user_message(
            MODERATOR, ADMIN_CHAT, text="через 9999999 дней", reply_to_message_id=ask["message_id"]
        )
        await wait(lambda: said(tg, "не понимаю время «через 9999999 дней»"))


@pytest.mark.filterwarnings("ignore:unread_data:DeprecationWarning")
async def test_report_dates_beyond_the_calendar_are_refused_in_one_line(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    async with running(tmp_path, tg):
        for day in ("9999-12-31", "0001-01-01"):
            tg.user_message(MODERATOR, ADMIN_CHAT, text=f"/report {day} {day}")
            await wait(lambda day=day: said(tg, f"Не понимаю дату «{day}»"))


def test_cli_report_for_last_year_needs_only_its_last_day(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """In January the office asks for last year's report with ``--to`` alone."""
    monkeypatch.setenv("GLASHATAI_DATABASE__URL", f"sqlite+aiosqlite:///{tmp_path}/g.db")
    assert main(["db", "upgrade"]) == 0
    year = utcnow().year - 1
    out = tmp_path / "report.docx"
    code = main(["report", "--to", f"{year}-12-31", "-o", str(out)])
    assert code == 0, capsys.readouterr().err
    assert out.stat().st_size > 0
    assert f"01.01.{year}" in capsys.readouterr().out


@pytest.mark.filterwarnings("ignore:unread_data:DeprecationWarning")
@pytest.mark.parametrize("dash", [" — ", "–", " - "])
async def test_report_period_written_with_a_dash(
    tmp_path: Path, tg: FakeTelegram, dash: str
) -> None:
    async with running(tmp_path, tg):
        tg.user_message(MODERATOR, ADMIN_CHAT, text=f"/report 01.01.2026{dash}31.01.2026")
        sent = await wait(lambda: [m for m in tg.messages(ADMIN_CHAT) if m.get("document")])
        assert "01.01.2026" in str(sent[0].get("caption"))
        assert "31.01.2026" in str(sent[0].get("caption"))


async def test_admin_commands_with_the_bots_name_and_odd_spacing_work(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    bot = tg.bot_user["username"]
    async with running(tmp_path, tg) as app:
        await open_hotline(app)
        await tg_consent(tg, CITIZEN)
        tg.user_message(CITIZEN, text="Вопрос про тепло")
        await wait(lambda: cards(tg))
        tg.user_message(MODERATOR, ADMIN_CHAT, text=f"/queue@{bot}")
        await wait(lambda: said(tg, "Очередь"))
        tg.user_message(MODERATOR, ADMIN_CHAT, text=f"/ban@{bot}   1")
        await wait(lambda: said(tg, "Автор вопроса №1 заблокирован"))
        tg.user_message(MODERATOR, ADMIN_CHAT, text=f"/urgent@{bot}\n\nПерекрыта улица Ленина.")
        preview = await wait_admin(tg, "Перекрыта улица Ленина")
        assert f"@{bot}" not in tg_text(preview)
        async with app.services.db.read() as conn:
            post = (await posts_repo.recent(conn, 1))[0]
        assert post.kind is PostKind.URGENT
        assert post.body.plain == "Перекрыта улица Ленина."
