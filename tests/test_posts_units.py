"""Small pieces of the press-release pipeline: typed times, entities, quiet hours, links,
lists and link addresses on every platform."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiogram.types import MessageEntity

from bots.html_render import to_html
from bots.max.render import chunks
from bots.telegram.entities import strip_command, to_document
from bots.telegram.sender import public_link
from shared.errors import InvalidInput
from shared.posts.quiet import in_quiet, quiet_until
from shared.posts.when import parse_when
from shared.richtext import Document, Span, from_markdown, to_plain
from tests.harness import settings_for
from web import richhtml

TZ = ZoneInfo("Asia/Krasnoyarsk")
NOW = datetime(2026, 11, 26, 5, 0, tzinfo=UTC)  # 12:00 in Krasnoyarsk


@pytest.mark.parametrize(
    ("typed", "local"),
    [
        ("27.11 10:00", datetime(2026, 11, 27, 10, 0)),
        ("27.11.2026 10:00", datetime(2026, 11, 27, 10, 0)),
        ("27.11.26 10.30", datetime(2026, 11, 27, 10, 30)),
        ("2026-12-01 10:00", datetime(2026, 12, 1, 10, 0)),
        ("2026-12-01 10:00:05", datetime(2026, 12, 1, 10, 0, 5)),
        ("завтра 9:00", datetime(2026, 11, 27, 9, 0)),
        ("Завтра в 9", datetime(2026, 11, 27, 9, 0)),
        ("послезавтра 18:15", datetime(2026, 11, 28, 18, 15)),
        ("сегодня 18:30", datetime(2026, 11, 26, 18, 30)),
        ("18:30", datetime(2026, 11, 26, 18, 30)),
        ("10:00", datetime(2026, 11, 27, 10, 0)),
        ("через 2 часа", datetime(2026, 11, 26, 14, 0)),
        ("через час", datetime(2026, 11, 26, 13, 0)),
        ("через 30 минут", datetime(2026, 11, 26, 12, 30)),
        ("через 3 дня", datetime(2026, 11, 29, 12, 0)),
        ("01.01 10:00", datetime(2027, 1, 1, 10, 0)),
    ],
)
def test_typed_times(typed: str, local: datetime) -> None:
    assert parse_when(typed, NOW, TZ) == local.replace(tzinfo=TZ).astimezone(UTC)


@pytest.mark.parametrize("typed", ["", "когда-нибудь", "32.13 10:00", "25:00", "через"])
def test_untyped_times_are_refused(typed: str) -> None:
    with pytest.raises(InvalidInput):
        parse_when(typed, NOW, TZ)


def test_entities_respect_utf16_offsets() -> None:
    text = "🎉 Важно: сайт\n\nвторой абзац"
    entities = [
        MessageEntity(type="bold", offset=3, length=5),  # the emoji takes 2 UTF-16 units
        MessageEntity(type="text_link", offset=10, length=4, url="https://example.org"),
    ]
    doc = to_document(text, entities)
    assert len(doc.blocks) == 2
    spans = doc.blocks[0].spans
    assert Span("Важно", bold=True) in spans
    assert Span("сайт", link="https://example.org") in spans
    assert doc.blocks[1].text == "второй абзац"


def test_command_is_stripped_and_entities_move() -> None:
    text = "/post 👨‍👩‍👧 *жирный*"
    entities = [
        MessageEntity(type="bot_command", offset=0, length=5),
        MessageEntity(type="bold", offset=15, length=8),
    ]
    rest, moved = strip_command(text, entities)
    doc = to_document(rest, moved)
    assert doc.blocks[0].spans[-1] == Span("*жирный*", bold=True)


def test_quiet_hours_across_midnight(tmp_path: Path) -> None:
    assert in_quiet(time(22), time(7), time(23, 30))
    assert in_quiet(time(22), time(7), time(6, 59))
    assert not in_quiet(time(22), time(7), time(7, 0))
    assert not in_quiet(time(22), time(22), time(23))
    quiet = {"quiet_hours_start": time(22), "quiet_hours_end": time(7)}
    settings = settings_for(tmp_path, overrides={"publishing": quiet})
    night = datetime(2026, 11, 26, 23, 30, tzinfo=TZ).astimezone(UTC)
    assert quiet_until(settings, night) == datetime(2026, 11, 27, 7, 0, tzinfo=TZ)
    early = datetime(2026, 11, 27, 3, 0, tzinfo=TZ).astimezone(UTC)
    assert quiet_until(settings, early) == datetime(2026, 11, 27, 7, 0, tzinfo=TZ)
    assert quiet_until(settings, NOW) is None
    assert quiet_until(settings, night + timedelta(hours=8)) is None


def test_public_links() -> None:
    assert public_link("@town_news", 5) == "https://t.me/town_news/5"
    assert public_link(-1009876543210, 7) == "https://t.me/c/9876543210/7"
    assert public_link(424242, 7) is None


def test_lists_numbered_from_zero_keep_their_numbers_on_every_platform() -> None:
    doc = from_markdown("0. Вступление\n1. Основная часть")
    assert to_plain(doc) == "0. Вступление\n1. Основная часть"
    assert to_html(doc) == "0. Вступление\n1. Основная часть"
    assert chunks(doc) == ["0. Вступление\n1. Основная часть"]
    assert (
        str(richhtml.to_html(doc))
        == '<ol start="0"><li>Вступление</li><li>Основная часть</li></ol>'
    )


def test_a_paragraph_under_a_list_item_is_not_numbered_and_the_list_resumes() -> None:
    doc = from_markdown("1. Заполните анкету.\n\n   Анкета есть в МФЦ.\n\n2. Принесите паспорт.")
    expected = "1. Заполните анкету.\n\nАнкета есть в МФЦ.\n\n2. Принесите паспорт."
    assert to_plain(doc) == expected
    assert to_html(doc) == expected
    assert str(richhtml.to_html(doc)) == (
        "<ol><li>Заполните анкету.</li></ol>\n<p>Анкета есть в МФЦ.</p>\n"
        '<ol start="2"><li>Принесите паспорт.</li></ol>'
    )


def test_a_bullet_item_with_a_second_paragraph_keeps_one_bullet() -> None:
    doc = from_markdown("- Пункт.\n\n  Пояснение.\n\n  - вложенный\n\n  Ещё.\n- Второй")
    assert to_plain(doc) == "• Пункт.\n\nПояснение.\n\n• вложенный\n\nЕщё.\n\n• Второй"


def test_a_link_showing_its_own_address_is_written_once_in_plain_text() -> None:
    """VK writes a link's address after its text unless the text already shows it, in the
    form a reader types it (a stored document may hold the punycoded, encoded form)."""
    written = Document.from_json(
        '[{"k": "paragraph", "s": [{"t": "https://мэрия.рф/новости",'
        ' "a": "https://xn--h1ahm5cm.xn--p1ai/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8"}]}]'
    )
    assert to_plain(written) == "https://мэрия.рф/новости"
    assert to_plain(from_markdown("<https://мэрия.рф/новости>")) == "https://мэрия.рф/новости"
    assert to_plain(from_markdown("[сайт](https://мэрия.рф/)")) == "сайт (https://мэрия.рф/)"


def test_documents_stored_before_load_and_render_as_then() -> None:
    """The stored JSON keeps its shape: ordered items with "n", old percent-encoded links."""
    raw = (
        '[{"k": "ordered", "s": [{"t": "раз"}], "n": 1}, {"k": "ordered", "s": [{"t": "два"}]},'
        ' {"k": "paragraph", "s": [{"t": "сайт", "b": 1, "a": "https://xn--h1ahm5cm.xn--p1ai/"}]}]'
    )
    doc = Document.from_json(raw)
    assert Document.from_json(doc.to_json()) == doc
    assert to_plain(doc) == "1. раз\n1. два\n\nсайт (https://xn--h1ahm5cm.xn--p1ai/)"
