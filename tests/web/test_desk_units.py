"""Staff desk pieces without a server: the calendar grid, the preview's HTML allowlist and
the platforms' previews, the charts, the attempt counter, the cookie and CSRF keys."""

from __future__ import annotations

import itertools
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiogram.types import MessageEntity

from bots.telegram.entities import to_document
from shared.domain import PostKind, PostStatus
from shared.domain import PublicationState as PubState
from shared.posts.feed.html import html_to_doc
from shared.posts.model import Post, Publication
from shared.richtext import Block, Document, Span, from_markdown, utf16_len
from web.desk import charts, preview
from web.desk.calendar import View, period, weeks
from web.desk.limits import Attempts
from web.desk.markdown import to_markdown
from web.desk.queries import Entry, QuestionTimes, lines_of
from web.desk.sessions import Keys
from web.desk.states import DeskState

TZ = ZoneInfo("Asia/Krasnoyarsk")
ROOT = Path(__file__).resolve().parents[2]


def post(status: PostStatus, platforms: list[str], when: datetime | None = None) -> Post:
    return Post(
        id=1,
        title="T",
        body=from_markdown("text"),
        kind=PostKind.PRESS_RELEASE,
        status=status,
        platforms=platforms,
        scheduled_at=when,
        created_by="test",
        source_url=None,
        version=1,
        preview_message_id=None,
        published_at=None,
    )


def pub(platform: str, state: PubState) -> Publication:
    return Publication(id=1, post_id=1, platform=platform, state=state, outbox_id=9)


def test_month_grid_is_whole_weeks_monday_first() -> None:
    p = period(View.MONTH, date(2026, 12, 15))
    assert p.first == date(2026, 11, 30)  # a Monday
    assert p.last == date(2027, 1, 3)  # a Sunday
    grid = weeks(p, [], TZ, date(2026, 12, 15))
    assert all(len(w) == 7 for w in grid)
    assert [d.in_focus for d in grid[0]][:2] == [False, True]
    assert p.previous == date(2026, 11, 1)
    assert p.next == date(2027, 1, 1)


def test_week_grid_and_local_days() -> None:
    p = period(View.WEEK, date(2026, 12, 3))
    assert (p.first, p.last) == (date(2026, 11, 30), date(2026, 12, 6))
    start, end = p.bounds(TZ)
    assert start == datetime(2026, 11, 29, 17, 0, tzinfo=UTC)  # midnight in UTC+7
    assert end - start == timedelta(days=7)
    # 20:30 UTC on the 1st is 03:30 on the 2nd in Krasnoyarsk: the post sits on the 2nd.
    when = datetime(2026, 12, 1, 20, 30, tzinfo=UTC)
    entry = Entry(post(PostStatus.SCHEDULED, ["telegram"], when), when, [])
    grid = weeks(p, [entry], TZ, date(2026, 12, 3))
    assert [d.day for d in grid[0] if d.entries] == [date(2026, 12, 2)]


def test_states_per_platform() -> None:
    scheduled = post(PostStatus.SCHEDULED, ["telegram", "vk"])
    assert [line.state for line in lines_of(scheduled, [])] == [DeskState.SCHEDULED] * 2
    draft = post(PostStatus.DRAFT, ["vk"])
    assert [line.state for line in lines_of(draft, [])] == [DeskState.DRAFT]
    publishing = post(PostStatus.PUBLISHING, ["telegram", "vk"])
    got = lines_of(publishing, [pub("telegram", PubState.UNKNOWN), pub("vk", PubState.PENDING)])
    assert [(line.platform, line.state) for line in got] == [
        ("telegram", DeskState.UNKNOWN),
        ("vk", DeskState.SENDING),
    ]
    done = lines_of(
        post(PostStatus.PARTLY_PUBLISHED, ["telegram", "vk"]),
        [pub("telegram", PubState.PUBLISHED), pub("vk", PubState.HELD)],
    )
    assert [line.state for line in done] == [DeskState.SENT, DeskState.HELD]


def test_preview_html_keeps_only_the_allowlist() -> None:
    hostile = (
        '<b>bold</b><script>alert(1)</script><img src=x onerror="alert(2)">'
        '<a href="javascript:alert(3)">j</a><a href="https://example.org/?a=1&b=2">ok</a>'
        "<i>unclosed"
    )
    cleaned = preview.clean(hostile)
    assert "<script" not in cleaned
    assert "<img" not in cleaned
    assert "javascript:" not in cleaned
    assert "&lt;" not in cleaned  # the tags are dropped, their text kept as text
    assert "<b>bold</b>" in cleaned
    assert '<a href="https://example.org/?a=1&amp;b=2" rel="nofollow noopener">ok</a>' in cleaned
    assert cleaned.endswith("<i>unclosed</i>")
    assert preview.clean("1 < 2 & 3") == "1 &lt; 2 &amp; 3"


def test_previews_come_from_each_platform_renderer() -> None:
    doc = from_markdown("**Важно**: <b>не тег</b>\n\n" + "слово " * 1000)
    shown = {s.platform: s.parts for s in preview.previews(doc, ["telegram", "vk"], 0, 0)}
    assert set(shown) == {"telegram", "vk"}
    assert len(shown["telegram"]) > 1  # over 4096 characters: split into messages
    assert all(len(part.body) <= 4096 for part in shown["telegram"])
    assert shown["telegram"][0].html
    assert "<b>Важно</b>" in shown["telegram"][0].body
    assert "&lt;b&gt;не тег" in shown["telegram"][0].body
    assert len(shown["vk"]) == 1
    assert not shown["vk"][0].html
    assert shown["vk"][0].body.startswith("Важно: <b>не тег</b>")
    short = preview.previews(from_markdown("коротко"), ["telegram"], 1, 0)
    assert short[0].parts[0].caption  # fits a caption under the photo
    assert preview.previews(doc, ["vk"], 0, 0)[0].platform == "vk"


def test_charts_per_day_and_answer_time() -> None:
    t0 = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    times = [
        QuestionTimes(t0, t0 + timedelta(minutes=30)),
        QuestionTimes(t0, t0 + timedelta(hours=2)),
        QuestionTimes(t0 + timedelta(days=2), None),
    ]
    per_day = charts.per_day(times, TZ)
    assert [(b.label, b.value) for b in per_day.bars] == [("01.12", 2), ("02.12", 0), ("03.12", 1)]
    assert per_day.total == 3
    assert max(b.height for b in per_day.bars) > 0
    took = charts.answer_times(times, ["a", "b", "c", "d"])
    assert [(b.label, b.value) for b in took.bars] == [("a", 1), ("b", 1), ("c", 0), ("d", 0)]
    assert charts.per_day([], TZ).bars == []


def test_attempts_slide() -> None:
    now = [0.0]
    attempts = Attempts(2, 10.0, clock=lambda: now[0])
    assert attempts.allow("a")
    assert attempts.allow("a")
    assert not attempts.allow("a")
    assert attempts.allow("b")
    now[0] = 10.5
    assert attempts.allow("a")


def test_cookie_is_signed_and_csrf_is_bound_to_the_session() -> None:
    keys = Keys("k" * 32)
    value = keys.cookie("session-id")
    assert keys.unsign(value) == "session-id"
    # Not the last character: its low bits may be base64 padding that decodes the same.
    tampered = value[:-5] + ("A" if value[-5] != "A" else "B") + value[-4:]
    assert keys.unsign(tampered) is None
    assert Keys("other" * 8).unsign(value) is None
    token = keys.csrf("session-id")
    assert keys.csrf_ok("session-id", token)
    assert not keys.csrf_ok("another-session", token)


def test_markdown_round_trip() -> None:
    source = (
        "## Заголовок\n\n**Жирный** и *курсив*, [ссылка](https://example.org/a_b?x=1).\n\n"
        "- пункт один\n- пункт *два*\n\n1. первый\n2. второй\n\n> цитата\n\n"
        "Символы: 2 * 3 = 6, a_b_c, [скобки], <b>тег</b>, # решётка, 1. не список\n"
        "вторая строка"
    )
    doc = from_markdown(source)
    assert from_markdown(to_markdown(doc)) == doc
    literal = from_markdown(to_markdown(from_markdown("\\*не жирный\\* и \\_нет\\_")))
    assert literal.blocks[0].text == "*не жирный* и _нет_"


# Lines of chat messages: Markdown's characters and list marks are text there; a style is
# None, "bold", "italic", "url" (the text is the address) or a text link's address.
CHAT_LINES = [
    ("1. Запись", None),
    ("2) Приём", None),
    ("10. Десятый", None),
    ("0. Нулевой", None),
    ("1.5 литра, 1. не в начале", None),
    ("- пункт", None),
    ("-", None),
    ("+ плюс", None),
    ("* звёздочка", None),
    ("= итог", None),
    ("---", None),
    ("===", None),
    ("***", None),
    ("# не заголовок", None),
    ("> не цитата", None),
    ("2 * 3 = 6, a_b_c, _подчёркнуто_, *звёзды*", None),
    ("`код` и ``два``", None),
    ("[скобки] и [ссылка](https://example.org)", None),
    ("<b>тег</b> &amp; \\ обратная черта \\*", None),
    ("    отступ", None),
    ("  - подпункт ", None),
    ("😀 эмодзи", None),
    ("Важно", "bold"),
    ("1. Жирный пункт", "bold"),
    ("Курсив", "italic"),
    ("сайте", "https://мэрия.рф/"),
    ("- новости", "https://town.ru/новости?a=1&b=2"),
    ("https://мэрия.рф/новости", "url"),
    ("https://xn--h1ahm5cm.xn--p1ai/", "url"),
]


def _chat_message(lines: tuple[tuple[str, str | None], ...], separator: str) -> Document:
    """The lines as one Telegram message with entities, read as the bot reads it."""
    text, entities = "", []
    for line, style in lines:
        text += separator if text else ""
        offset, length = utf16_len(text), utf16_len(line)
        text += line
        if style in {"bold", "italic", "url"}:
            entities.append(MessageEntity(type=style, offset=offset, length=length))
        elif style:
            entities.append(
                MessageEntity(type="text_link", offset=offset, length=length, url=style)
            )
    return to_document(text, entities)


@pytest.mark.parametrize("separator", ["\n", "\n\n", " "])
def test_every_chat_message_reads_back_unchanged_from_the_editor(separator: str) -> None:
    """Whatever pair of lines a moderator sends, the editor's Markdown reads back as the same
    document: an unchanged save in the desk is never an edit."""
    for lines in itertools.product(CHAT_LINES, repeat=2):
        doc = _chat_message(lines, separator)
        shown = to_markdown(doc)
        assert from_markdown(shown) == doc, (lines, shown)


def test_the_editor_escapes_list_marks_with_markdown_escapes() -> None:
    """A backslash before a digit is not an escape: it would be published."""
    shown = to_markdown(_chat_message((("1. Запись", None), ("2) Приём", None)), "\n"))
    assert shown == "1\\. Запись  \n2\\) Приём"


def test_link_addresses_are_kept_as_written() -> None:
    """Not punycoded or percent-encoded, and only spaces are encoded."""
    doc = from_markdown("[сайт](https://мэрия.рф/новости?a=1&b=2) [файл](<https://a.ru/a b>)")
    assert [s.link for s in doc.blocks[0].spans if s.link] == [
        "https://мэрия.рф/новости?a=1&b=2",
        "https://a.ru/a%20b",
    ]
    assert from_markdown("[x](javascript:alert(1))").blocks[0].spans[0].link is None


def test_the_editor_keeps_list_numbers_from_zero_and_a_paragraph_under_an_item() -> None:
    source = "0. Вступление\n1. Основная часть\n\n   Пояснение.\n\n2. Итог"
    doc = from_markdown(source)
    assert [(b.kind, b.number) for b in doc.blocks] == [
        ("ordered", 0),
        ("ordered", 1),
        ("paragraph", None),
        ("ordered", 2),
    ]
    assert to_markdown(doc) == "0. Вступление\n1. Основная часть\n\nПояснение.\n\n2. Итог"
    assert from_markdown(to_markdown(doc)) == doc


def test_line_breaks_in_a_heading_and_empty_lines_in_a_paragraph_read_back() -> None:
    """A site's ``<h2>…<br>…</h2>`` and ``<p>…<br><br>…</p>``: a setext heading holds the
    break, and a backslash break keeps the empty line inside its paragraph."""
    doc, _ = html_to_doc(
        "<h2>Внимание!<br>Отключение воды</h2><p>5 декабря<br><br>с 10:00 до 14:00</p>",
        "https://town.example/news/1",
    )
    assert to_markdown(doc) == (
        "Внимание\\!  \nОтключение воды\n===\n\n5 декабря\\\n\\\nс 10:00 до 14:00"
    )
    assert from_markdown(to_markdown(doc)) == doc
    tricky = Document(
        (
            Block("heading", (Span("1. один\n\n"), Span("два", bold=True))),
            Block("paragraph", (Span("a\\\n\n- b  \n\n"), Span("c", italic=True))),
        )
    )
    assert from_markdown(to_markdown(tricky)) == tricky


def test_the_desk_and_its_previews_need_no_platform_library() -> None:
    code = (
        "import sys, web.desk\n"
        "from web.desk.preview import previews\n"
        "from shared.richtext import from_plain\n"
        "assert {s.platform for s in previews(from_plain('x'), ['telegram', 'vk'], 0, 0)}"
        " == {'telegram', 'vk'}\n"
        "print(sorted(m for m in ('aiogram', 'vk_api') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert done.stdout.strip() == "[]"


def test_a_camera_jpeg_read_as_mpo_is_typed_as_a_jpeg(tmp_path: Path) -> None:
    """Pillow names many cameras' JPEGs MPO; the desk's editor and the command line both
    store them as image/jpeg (a browser shows no image/mpo, a feed reader knows none)."""
    import io

    from PIL import Image

    from bots.commands import files
    from shared.images import image_mime
    from shared.texts import Texts

    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(
        out, "MPO", save_all=True, append_images=[Image.new("RGB", (8, 8))]
    )
    path = tmp_path / "IMG_0001.JPG"
    path.write_bytes(out.getvalue())
    with Image.open(path) as image:
        assert image.format == "MPO"
    assert image_mime("MPO") == "image/jpeg"
    assert image_mime("PNG") == "image/png"
    assert image_mime(None) == "image/jpeg"
    stored = files.photo(
        str(path), Texts.load(), "cli.posts.file_not_found", "cli.posts.not_an_image"
    )
    assert stored.mime == "image/jpeg"
