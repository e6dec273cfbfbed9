"""Words a person types instead of pressing a button, read the way people type them."""

from __future__ import annotations

import re
import unicodedata

# Punctuation and spacing a word typed alone may carry («Да.», «Удалить мои данные!»).
_LOOSE = re.compile(r"[\s.,!?…;:«»\"']+")


def said(text: str) -> str:
    """What a message says, for matching against known words: lower case, «ё» as «е»,
    its punctuation and spacing reduced to single spaces (never used for what is kept)."""
    return _LOOSE.sub(" ", text.lower().replace("ё", "е")).strip()


def shows_anything(text: str) -> bool:
    """Whether the text has a character a reader sees: a letter, digit, punctuation mark or
    symbol (an emoji), not only spaces, zero-width and format characters, or marks with
    nothing to sit on."""
    return any(unicodedata.category(c)[0] in "LNPS" for c in text)
