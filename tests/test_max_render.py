"""Posts rendered to MAX's HTML subset: escaped, within both limits, sent to the fake MAX."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import AsyncIterator, Iterator

import pytest
from maxapi import Bot
from maxapi.enums.parse_mode import TextFormat

from bots.max.render import MARKUP_LIMIT, TEXT_LIMIT, chunks, to_html
from shared.richtext import (
    Block,
    Document,
    Span,
    from_markdown,
    from_plain,
    paragraph,
    visible_length,
)
from simulators.max import FakeMax
from simulators.max.text import parse_html

MAX_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "del", "a", "code", "pre"}
MAX_TAGS |= {"mark", "blockquote", "h1"}
HOSTILE = 'Жалоба <script>alert(1)</script> & "кавычки" <b>не жирный</b> &amp; ok'


def shown(html: str) -> str:
    """What MAX shows for an HTML text (the fake's parser, as MAX counts)."""
    return parse_html(html)[0]


def release(sentences: int) -> Document:
    """A long release: numbered sentences in paragraphs of ten, a heading, a list, a link."""
    text = [f"Предложение номер {n} о работе администрации города." for n in range(sentences)]
    paragraphs = [" ".join(text[i : i + 10]) for i in range(0, sentences, 10)]
    markdown = "## Пресс-релиз\n\n" + "\n\n".join(paragraphs)
    markdown += "\n\n- первый пункт\n- второй пункт\n\n[Сайт](https://example.org/a?b=1&c=2)"
    return from_markdown(markdown)


def test_citizen_text_is_data() -> None:
    html = to_html(from_plain(HOSTILE))
    assert "<script>" not in html
    assert "<b>не" not in html
    assert shown(html) == HOSTILE


def test_only_max_tags_and_the_formatting_kept() -> None:
    doc = Document(
        (
            Block("heading", (Span("Заголовок"),)),
            paragraph(Span("жирный", bold=True), " и ", Span("курсив", italic=True)),
            paragraph(Span("ссылка", link='https://example.org/?q="x"&y=<1>')),
            Block("quote", (Span("цитата"),)),
            Block("bullet", (Span("пункт"),)),
            Block("ordered", (Span("второй"),), number=2),
        )
    )
    html = to_html(doc)
    assert set(re.findall(r"</?([a-z0-9]+)", html)) <= MAX_TAGS
    text, markup = parse_html(html)
    assert text == "Заголовок\n\nжирный и курсив\n\nссылка\n\nцитата\n\n• пункт\n2. второй"
    kinds = Counter(m["type"] for m in markup)
    assert kinds == {"strong": 2, "emphasized": 1, "link": 1, "quote": 1}
    link = next(m for m in markup if m["type"] == "link")
    assert link["url"] == 'https://example.org/?q="x"&y=<1>'


def test_a_long_release_is_split_at_sentences_within_both_limits() -> None:
    doc = release(180)
    assert len(doc.plain) > 9000
    parts = chunks(doc)
    assert len(parts) >= 3
    for part in parts:
        assert len(shown(part)) <= TEXT_LIMIT
        assert len(part) <= MARKUP_LIMIT
        assert shown(part).rstrip().endswith((".", "пункт", "Сайт"))
    words = Counter(" ".join(shown(p) for p in parts).split())
    for n in range(180):
        assert words[str(n)] == 1


def test_markup_heavy_text_is_cut_for_maxapi_too() -> None:
    # 3,000 visible characters, but each word is a link: the HTML is far over 4,000
    spans = [Span(f"слово{n} ", link=f"https://example.org/{n}") for n in range(400)]
    doc = Document((paragraph(*spans),))
    assert visible_length(doc) < TEXT_LIMIT
    parts = chunks(doc)
    assert len(parts) > 1
    assert all(len(part) <= MARKUP_LIMIT for part in parts)
    found = Counter(" ".join(shown(p) for p in parts).split())
    assert all(found[f"слово{n}"] == 1 for n in range(400))


def test_one_word_longer_than_the_limit_is_cut_hard() -> None:
    parts = chunks(from_plain("я" * 9001))
    assert [len(shown(p)) for p in parts] == [3999, 3999, 1003]


@pytest.fixture
def fake() -> Iterator[FakeMax]:
    with FakeMax() as server:
        yield server
        assert server.internal_errors == []
        assert server.violations == []


@pytest.fixture
async def bot(fake: FakeMax) -> AsyncIterator[Bot]:
    client = Bot(fake.token)
    client.set_api_url(fake.base_url)
    yield client
    await client.close_session()


async def test_the_chunks_reach_the_fake_channel_through_maxapi(fake: FakeMax, bot: Bot) -> None:
    doc = Document((*release(180).blocks, *from_plain(HOSTILE).blocks))
    for part in chunks(doc):
        await bot.send_message(chat_id=fake.channel_id, text=part, format=TextFormat.HTML)
    posted = fake.channel_messages()
    assert len(posted) == len(chunks(doc))
    assert posted[-1]["text"].endswith(HOSTILE)
    words = Counter(" ".join(m["text"] for m in posted).split())
    assert all(words[str(n)] == 1 for n in range(180))
    assert any(m["type"] == "link" for m in posted[-1]["markup"])
