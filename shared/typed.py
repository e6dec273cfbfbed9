"""Words a person types instead of pressing a button, read the way people type them."""

from __future__ import annotations

import re

# Punctuation and spacing a word typed alone may carry («Да.», «Удалить мои данные!»).
_LOOSE = re.compile(r"[\s.,!?…;:«»\"']+")


def said(text: str) -> str:
    """What a message says, for matching against known words: lower case, «ё» as «е»,
    its punctuation and spacing reduced to single spaces (never used for what is kept)."""
    return _LOOSE.sub(" ", text.lower().replace("ё", "е")).strip()
