"""Word files for print: the page, the type and the language every .docx of ours shares.

The hotline digest and the year's report go to people who print them and check their
spelling in Word or LibreOffice: both follow the document's declared language and page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.clock import utcnow

if TYPE_CHECKING:
    from docx.document import Document as DocxDocumentType

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
LANGUAGE = "ru-RU"
# A4 with 2 cm margins, 12 pt text.
PAGE_MM = (210, 297)
MARGIN_MM = 20
TEXT_WIDTH_MM = PAGE_MM[0] - 2 * MARGIN_MM


def print_setup(out: DocxDocumentType, author: str, heading: str) -> None:
    """A4 and margins, Times 12 pt, Russian as the language of every run (Word's and
    LibreOffice's spelling and hyphenation follow it), hyphenation on, the office as author."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    for section in out.sections:
        section.page_width, section.page_height = Mm(PAGE_MM[0]), Mm(PAGE_MM[1])
        section.left_margin = section.right_margin = Mm(MARGIN_MM)
        section.top_margin = section.bottom_margin = Mm(MARGIN_MM)
    style = out.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(12)
    defaults = out.styles.element.find(qn("w:docDefaults"))
    run_defaults = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    lang = run_defaults.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        run_defaults.append(lang)
    for name in ("w:val", "w:eastAsia", "w:bidi"):
        lang.set(qn(name), LANGUAGE)
    settings = out.settings.element
    proof = settings.find(qn("w:proofState"))
    if proof is not None:  # the template claims "already checked": let Word check the Russian
        settings.remove(proof)
    hyphenation = OxmlElement("w:autoHyphenation")
    tab_stop = settings.find(qn("w:defaultTabStop"))
    if tab_stop is not None:  # the schema's order: autoHyphenation right after defaultTabStop
        tab_stop.addnext(hyphenation)
    else:
        settings.insert(0, hyphenation)
    props = out.core_properties
    props.author = props.last_modified_by = author
    props.title = heading
    props.language = LANGUAGE
    props.created = props.modified = utcnow().replace(tzinfo=None)
    props.revision = 1
