"""What the channel will show for a post, for the staff desk's editor: the sender's rules
(the text as the caption when it fits 1024 characters and there are photos, else
messages of up to 4096) with the sender's own HTML renderer."""

from __future__ import annotations

from bots.telegram.render import CAPTION_LIMIT, chunks, to_html
from shared.richtext import Document, utf16_len, visible_length
from web.desk.preview import Part


def parts(doc: Document, photos: int, documents: int) -> list[Part]:
    if doc.is_empty():
        return []
    media = photos + documents
    if media and visible_length(doc, utf16_len) <= CAPTION_LIMIT:
        return [Part(to_html(doc), html=True, caption=True)]
    return [Part(html, html=True) for html in chunks(doc)]
