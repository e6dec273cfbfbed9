"""Russian words to their dictionary forms, so «батареи», «батарея» and «батарей» meet.

pymorphy3 with the dictionaries of pymorphy3-dicts-ru (installed as a package: nothing is
downloaded at run time). Words that carry no subject (prepositions, conjunctions,
particles, interjections, pronouns) are dropped; numbers stay, since a house or a bus
route is often what tells two questions apart.

The dictionaries take 40-80 ms of CPU and about 24 MB to load (more on a cold disk):
``warm()`` loads them in a thread when the hotlines start, so start-up does not wait; code
on the event loop awaits ``ready()`` before its first lemma, which waits for that load
without blocking the loop.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from functools import lru_cache

from pymorphy3 import MorphAnalyzer

log = logging.getLogger(__name__)

# Tags of words that say nothing about what a question is about.
_NOISE = frozenset({"PREP", "CONJ", "PRCL", "INTJ", "NPRO"})
# Words pymorphy reads as content that every hotline question has.
_COMMON = frozenset(
    {
        "здравствуйте",
        "добрый",
        "день",
        "вечер",
        "пожалуйста",
        "подсказать",
        "скажите",
        "сказать",
        "спасибо",
        "быть",
        "мочь",
        "почему",
        "когда",
        "где",
        "как",
        "какой",
        "сколько",
        "весь",
        "это",
        "который",
        "уже",
        "еще",
        "очень",
        "вообще",
    }
)
# «пятая школа» is «школа 5», «двенадцатый автобус» is «автобус 12».
_ORDINALS = {
    word: str(n)
    for n, word in enumerate(
        [
            "первый",
            "второй",
            "третий",
            "четвертый",
            "пятый",
            "шестой",
            "седьмой",
            "восьмой",
            "девятый",
            "десятый",
            "одиннадцатый",
            "двенадцатый",
            "тринадцатый",
            "четырнадцатый",
            "пятнадцатый",
            "шестнадцатый",
            "семнадцатый",
            "восемнадцатый",
            "девятнадцатый",
            "двадцатый",
        ],
        1,
    )
}
_WORD = re.compile(r"[а-яёa-z]+|\d+[а-я]?", re.IGNORECASE)
MAX_TERM = 64


_lock = threading.Lock()
_analyzer: MorphAnalyzer | None = None


def _load() -> MorphAnalyzer:
    """Load the dictionaries once; a caller that comes during the load waits for it."""
    global _analyzer
    with _lock:
        if _analyzer is None:
            _analyzer = MorphAnalyzer(lang="ru")
        return _analyzer


def _morph() -> MorphAnalyzer:
    """The analyzer: loaded by ``warm()``'s thread when the hotlines start, else on first
    use (CLI commands that never read a question never load it)."""
    return _analyzer if _analyzer is not None else _load()


def _load_in_background() -> None:
    try:
        _load()
    except Exception:  # the first lemma loads again and raises where it is needed
        log.exception("loading the Russian dictionaries failed")


def warm() -> None:
    """Start loading the dictionaries in a thread, now; start-up goes on meanwhile."""
    if _analyzer is None:
        threading.Thread(target=_load_in_background, name="lemmas-load", daemon=True).start()


async def ready() -> None:
    """The dictionaries are loaded: waits for ``warm()``'s thread (or loads them in one)
    without blocking the event loop."""
    if _analyzer is None:
        await asyncio.to_thread(_load)


@lru_cache(maxsize=200_000)
def lemma(word: str) -> str | None:
    """The word's dictionary form, or None for a word that carries no subject."""
    word = word.lower().replace("ё", "е")
    if word[0].isdigit():
        return word
    if len(word) < 2:
        return None
    parsed = _morph().parse(word)[0]
    if parsed.tag.POS in _NOISE:
        return None
    found = str(parsed.normal_form).replace("ё", "е")[:MAX_TERM]
    if found in _COMMON:
        return None
    return _ORDINALS.get(found, found)


def lemmas(text: str) -> list[str]:
    """The text's content words as lemmas, in order (repeats kept)."""
    return [found for word in _WORD.findall(text) if (found := lemma(word)) is not None]


@lru_cache(maxsize=200_000)
def known(term: str) -> bool:
    """The dictionary knows the word: it is no misspelling (numbers count as known)."""
    return term[0].isdigit() or bool(_morph().word_is_known(term))
