"""Issue 8, point 11: the hotline digest as a Word file for print — A4, Russian as the
document's language (spelling, hyphenation on), the office as author, numbered and spaced
question-and-answer pairs, control characters as spaces, the hotline's planned hours even
when it was closed early. Checked with python-docx, and with LibreOffice when installed."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import docx
from docx.oxml.ns import qn
from docx.shared import Pt

from shared.clock import utcnow
from shared.hotlines import campaigns, digest, drafts, moderation
from shared.hotlines import questions as repo
from shared.hotlines.model import Moderator
from shared.services import Services
from shared.storage import citizens
from shared.storage.engine import Database
from shared.texts import Texts
from tests.harness import MODERATOR, settings_for
from tests.libreoffice import needs_libreoffice, page_sizes, to_pdf

OFFICE = "Пресс-служба администрации Энска"
MOD = Moderator(MODERATOR, "Ольга", f"tg:{MODERATOR}")
GLUED = "Вопрос с символом\x0bвертикальной табуляции"


async def _closed_early(db: Database, services: Services) -> tuple[int, str]:
    """A hotline planned for tomorrow 10:00–12:00 (office time), two answered questions
    marked for print, closed by hand before its planned end. Returns its id and the
    planned period as the digest must print it."""
    tz = services.settings.tz
    tomorrow = (utcnow().astimezone(tz) + timedelta(days=1)).date()
    start = campaigns.parse_local(f"{tomorrow:%Y-%m-%d} 10:00", tz)
    end = campaigns.parse_local(f"{tomorrow:%Y-%m-%d} 12:00", tz)
    async with db.write() as conn:
        hotline = await campaigns.create(
            conn, topic="Отопление", starts_at=start, ends_at=end, created_by="test"
        )
        citizen = await citizens.get_or_create(conn, "vk", "1")
        ids = [
            await repo.add(conn, citizen_id=citizen.id, hotline_id=hotline.id, text=text)
            for text in (GLUED, "Когда дадут тепло?")
        ]
    for question_id, answer in zip(ids, ("Ответ первый", "В октябре"), strict=True):
        await moderation.answer(services, MOD, question_id, answer)
        await moderation.toggle_publishable(services, MOD, question_id)
    await drafts.close(services, "test", hotline.id)
    return hotline.id, f"{tomorrow:%d.%m.%Y}, 10:00–12:00"


async def _word_file(db: Database, tmp_path: Path) -> tuple[bytes, str]:
    settings = settings_for(tmp_path, overrides={"office_name": OFFICE})
    services = Services(settings=settings, db=db, texts=Texts.load())
    hotline_id, period = await _closed_early(db, services)
    async with db.read() as conn:
        found = await digest.collect(conn, hotline_id)
        hotline = await campaigns.get(conn, hotline_id)
    assert hotline.ends_at > utcnow()  # closing did not rewrite the planned hours
    return digest.docx(found, services.texts, settings.tz, settings.office_name), period


async def test_digest_docx_is_a4_russian_by_the_office_numbered_and_spaced(
    db: Database, tmp_path: Path
) -> None:
    data, period = await _word_file(db, tmp_path)
    document = docx.Document(io.BytesIO(data))
    section = document.sections[0]
    assert round(section.page_width.mm) == 210
    assert round(section.page_height.mm) == 297
    defaults = document.styles.element.find(qn("w:docDefaults"))
    lang = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr")).find(qn("w:lang"))
    assert lang.get(qn("w:val")) == "ru-RU"
    assert document.settings.element.find(qn("w:autoHyphenation")) is not None
    props = document.core_properties
    assert props.author == OFFICE
    assert props.last_modified_by == OFFICE
    assert props.language == "ru-RU"
    texts = [p.text for p in document.paragraphs]
    assert any(period in t for t in texts), texts
    questions = [p for p in document.paragraphs if re.match(r"\d+\. Вопрос:", p.text)]
    assert [q.text.split(".", 1)[0] for q in questions] == ["1", "2"]
    assert all(q.paragraph_format.space_before == Pt(18) for q in questions)
    assert all(q.paragraph_format.keep_with_next for q in questions)
    assert questions[0].text == "1. Вопрос: Вопрос с символом вертикальной табуляции"
    assert "символомвертикальной" not in "\n".join(texts)


async def test_digest_draft_post_is_numbered_and_keeps_words_apart(
    db: Database, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path)
    services = Services(settings=settings, db=db, texts=Texts.load())
    hotline_id, period = await _closed_early(db, services)
    async with db.read() as conn:
        found = await digest.collect(conn, hotline_id)
    plain = digest.document(found, services.texts, settings.tz).plain
    assert period in plain
    assert "1. Вопрос:" in plain
    assert "2. Вопрос:" in plain
    assert "символом вертикальной" in plain


@needs_libreoffice
async def test_libreoffice_lays_the_digest_out_on_a4(sqlite_db: Database, tmp_path: Path) -> None:
    data, _ = await _word_file(sqlite_db, tmp_path)
    pdf = to_pdf(data, "digest", tmp_path)
    assert set(page_sizes(pdf)) == {(595, 842)}
    # LibreOffice read the language and the author: the PDF says ru-RU and the office.
    assert re.search(rb"/Lang\s*\(ru-RU\)", pdf)
    assert ("FEFF" + OFFICE.encode("utf-16-be").hex().upper()).encode() in pdf
