"""What the community wall will show for a post, for the staff desk's editor: one plain
text with links written out, from the sender's own renderer."""

from __future__ import annotations

from bots.vk.render import wall_text
from shared.richtext import Document
from web.desk.preview import Part


def parts(doc: Document, photos: int, documents: int) -> list[Part]:
    if doc.is_empty():
        return []
    return [Part(wall_text(doc), html=False)]
