"""What rides along with a citizen's question on VK and MAX: a photo captioned with the
alerts menu's word, a link's preview. The question is taken whole."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from simulators.max import FakeMax
from simulators.telegram import FakeTelegram, make_png
from simulators.vk import FakeVK
from tests.hotline_harness import (
    containing,
    hotline_people,
    open_hotline,
    question_rows,
    running,
    tg_consent,
    tg_text,
    vk_consent,
    wait,
)
from tests.test_max_hotline import consent, overrides, said

VK_CITIZEN = 300101
MAX_CITIZEN = 700101
TG_CITIZEN = 8101
URL = "https://town.example/news/42"


def vk_said(vk: FakeVK, needle: str) -> list[dict[str, Any]]:
    return [m for m in vk.messages(VK_CITIZEN) if needle in m["message"]]


def share(url: str) -> dict[str, Any]:
    """MAX's preview of a link in a message (``ShareAttachment`` in its OpenAPI)."""
    return {"type": "share", "payload": {"url": url}, "title": "Новость", "description": "—"}


async def test_vk_photo_captioned_with_the_menu_word_is_a_question(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    hotline_people(tg)
    async with running(tmp_path, tg, vk) as app:
        await open_hotline(app)
        await vk_consent(vk, VK_CITIZEN)
        vk.user_message(VK_CITIZEN, "Подписки", attachments=[("photo", make_png())])
        await wait(lambda: vk_said(vk, "Номер вопроса"))
        rows = await question_rows(app.services.db)
        assert [(r["text"], len(r["attachments"])) for r in rows] == [("Подписки", 1)]
        assert not vk_said(vk, "Оповещения от администрации"), "no menu for a photo"


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        (f"Тут пишут, что тепло дадут в среду: {URL} — правда?", None),
        ("", URL),
    ],
    ids=["with-text", "link-alone"],
)
async def test_max_question_with_a_link_preview_is_taken(
    tmp_path: Path, tg: FakeTelegram, max: FakeMax, text: str, stored: str | None
) -> None:
    hotline_people(tg)
    async with running(tmp_path, tg, overrides=overrides(max)) as app:
        await open_hotline(app)
        await consent(max, MAX_CITIZEN)
        max.user_message(MAX_CITIZEN, text, attachments=[share(URL)], first_name="Ольга")
        await wait(lambda: said(max, "Номер вопроса", MAX_CITIZEN))
        rows = await question_rows(app.services.db)
        assert [r["text"] for r in rows] == [stored or text]
        assert not said(max, "текстом", MAX_CITIZEN), "a question with a link is not refused"


BIG = b"%PDF-1.4 " + b"0" * (20 * 1024 * 1024 + 1)  # over the 20 MB a bot may download
LEFT_OUT = "Не удалось принять «смета.pdf»"


async def test_telegram_document_too_big_is_named_and_the_question_kept(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    hotline_people(tg)
    async with running(tmp_path, tg) as app:
        await open_hotline(app)
        await tg_consent(tg, TG_CITIZEN)
        tg.user_message(TG_CITIZEN, document=("смета.pdf", BIG), caption="Смета на ремонт двора")
        note = await wait(lambda: containing(tg.messages(TG_CITIZEN), LEFT_OUT))
        assert "20 МБ" in tg_text(note[0])
        rows = await question_rows(app.services.db)
        assert [(r["text"], r["attachments"]) for r in rows] == [("Смета на ремонт двора", [])]
        assert containing(tg.messages(TG_CITIZEN), "Номер вопроса: №1")


async def test_vk_document_too_big_is_named_and_the_question_kept(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    hotline_people(tg)
    async with running(tmp_path, tg, vk) as app:
        await open_hotline(app)
        await vk_consent(vk, VK_CITIZEN)
        vk.user_message(
            VK_CITIZEN, "Смета на ремонт двора", attachments=[("doc", BIG, "смета.pdf")]
        )
        await wait(lambda: vk_said(vk, LEFT_OUT))
        rows = await question_rows(app.services.db)
        assert [(r["text"], r["attachments"]) for r in rows] == [("Смета на ремонт двора", [])]


async def test_max_document_too_big_alone_is_named_not_greeted(
    tmp_path: Path, tg: FakeTelegram, max: FakeMax
) -> None:
    hotline_people(tg)
    async with running(tmp_path, tg, overrides=overrides(max)) as app:
        await open_hotline(app)
        await consent(max, MAX_CITIZEN)
        max.user_message(MAX_CITIZEN, "", attachments=[("file", BIG, "смета.pdf")])
        await wait(lambda: said(max, LEFT_OUT, MAX_CITIZEN))
        assert await question_rows(app.services.db) == []
        assert not said(max, "Горячая линия «Отопление»", MAX_CITIZEN)[1:], "not greeted again"
