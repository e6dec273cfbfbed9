"""What the MAX channel will show for a post, for the staff desk's editor: the sender's
messages of up to 4,000 characters in MAX's HTML subset, the first with the media."""

from __future__ import annotations

from bots.max.render import chunks
from shared.richtext import Document
from web.desk.preview import Part


def parts(doc: Document, photos: int, documents: int) -> list[Part]:
    if doc.is_empty():
        return []
    return [Part(html, html=True) for html in chunks(doc)]
