"""Russian words to their dictionary forms, so «батареи», «батарея» and «батарей» meet.

pymorphy3 with the dictionaries of pymorphy3-dicts-ru (installed as a package: nothing is
downloaded at run time). Words that carry no subject (prepositions, conjunctions,
particles, interjections, pronouns) are dropped; numbers stay, since a house or a bus
route is often what tells two questions apart, and so they are read as the text means
them: number words as digits («двадцать пятая школа» is «школа 25»: a lemma of «пятая»
alone would be school 5), each in the role the words around it give («д 60, кв 4» is
house 60, flat 4, not flat 60 of house 4), and a house's street marked as the address.
No library was fitted for the numbers: the parsers on PyPI read Russian cardinals only,
not ordinals in their cases; pymorphy3 already gives each numeral's dictionary form,
and a table of 74 forms turns those into values.

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
from dataclasses import dataclass
from functools import lru_cache

from pymorphy3 import MorphAnalyzer

log = logging.getLogger(__name__)

# Tags of words that say nothing about what a question is about.
_NOISE = frozenset({"PREP", "CONJ", "PRCL", "INTJ", "NPRO"})
_VERBS = frozenset({"INFN", "VERB", "PRTF", "PRTS", "GRND"})
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
MAX_TERM = 64
# A number's digits kept (a phone number's too): its term, role and all, fits MAX_TERM.
MAX_DIGITS = 16
# A house's street in a question's lemmas («ул:лесной»); indexed as the word alone.
STREET = "ул:"
HOUSE = "дом"

_WORD, _NUM, _MARK = "word", "number", "mark"
_TOKEN = re.compile(
    r"\d+[:.,]\d+"  # a time, a date or a decimal
    r"|(?P<digits>\d+)(?:-?(?P<suffix>[а-я]{1,3})(?![а-я]))?"  # 25, 25-я, 12й, 15а
    r"|№|[а-яa-z]+|[.,\-–—]"
)
_HOUSE_LETTERS = frozenset("абвг")


def _counted(words: str, step: int, first: int = 1) -> dict[str, int]:
    """Number words in order, each with its value: ``first * step``, then on by ``step``."""
    return {word: n * step for n, word in enumerate(words.split(" "), first)}


_CARDINALS = (
    _counted("один два три четыре пять шесть семь восемь девять десять одиннадцать", 1)
    | _counted("двенадцать тринадцать четырнадцать пятнадцать шестнадцать", 1, 12)
    | _counted("семнадцать восемнадцать девятнадцать", 1, 17)
    | _counted("двадцать тридцать сорок пятьдесят шестьдесят семьдесят восемьдесят", 10, 2)
    | _counted("девяносто", 90)
    | _counted("сто двести триста четыреста пятьсот шестьсот семьсот восемьсот девятьсот", 100)
    | _counted("тысяча", 1000)
)
# Numbers pymorphy tags as other parts of speech.
_CARDINAL_NOUNS = frozenset({"один", "сто", "тысяча"})
_ORDINALS = (
    _counted("первый второй третий четвертый пятый шестой седьмой восьмой девятый", 1)
    | _counted("десятый одиннадцатый двенадцатый тринадцатый четырнадцатый", 1, 10)
    | _counted("пятнадцатый шестнадцатый семнадцатый восемнадцатый девятнадцатый", 1, 15)
    | _counted("двадцатый тридцатый сороковой пятидесятый шестидесятый семидесятый", 10, 2)
    | _counted("восьмидесятый девяностый", 10, 8)
    | _counted("сотый двухсотый трехсотый четырехсотый пятисотый шестисотый", 100)
    | _counted("семисотый восьмисотый девятисотый", 100, 7)
    | _counted("тысячный", 1000)
)
# Words that say what the number next to them is, and the role they give it.
_ROLES = {
    "дом": HOUSE,
    "д": HOUSE,
    "квартира": "кв",
    "кв": "кв",
    "корпус": "корп",
    "корп": "корп",
    "строение": "корп",
    "стр": "корп",
    "подъезд": "подъезд",
    "маршрут": "маршрут",
    "автобус": "маршрут",
    "маршрутка": "маршрут",
    "троллейбус": "маршрут",
    "трамвай": "маршрут",
    "школа": "школа",
    "гимназия": "школа",
    "лицей": "школа",
    "сош": "школа",
    "детсад": "сад",
    "сад": "сад",
    "садик": "сад",
    "доу": "сад",
    "класс": "класс",
    "поликлиника": "поликлиника",
    "больница": "больница",
}
# Abbreviations pymorphy reads as other words («д» as «далее»).
_ROLE_ABBREVIATIONS = frozenset({"д", "кв", "корп", "стр", "ул", "пр", "мкр"})
# Words that only introduce a number (dropped there: the number keeps the role), and
# abbreviations that say nothing of the subject anywhere.
_ADDRESS_WORDS = frozenset({"дом", "д", "квартира", "кв", "корпус", "корп", "строение", "стр"})
_ABBREVIATIONS = frozenset({"ул", "пр", "кв", "корп", "стр"})
_NUMBER_SIGNS = frozenset({"номер"})
_SIGNS = frozenset({".", ",", "№"})
# Words that put a street next to them («улица Чехова», «Советская улица»).
_MARKERS = frozenset(
    {"ул", "улица", "проспект", "пр", "переулок", "бульвар", "шоссе", "проезд", "мкр"}
)
# What a count counts: a number next to one of these names no place.
_UNITS = frozenset(
    {
        "день",
        "неделя",
        "месяц",
        "год",
        "час",
        "минута",
        "секунда",
        "сутки",
        "утро",
        "вечер",
        "ночь",
        "число",
        "январь",
        "февраль",
        "март",
        "апрель",
        "май",
        "июнь",
        "июль",
        "август",
        "сентябрь",
        "октябрь",
        "ноябрь",
        "декабрь",
        "градус",
        "раз",
        "этаж",
        "сантиметр",
        "метр",
        "километр",
        "км",
        "см",
        "рубль",
        "руб",
        "процент",
        "тысяча",
        "человек",
        "ребенок",
        "машина",
        "место",
        "штука",
        "шт",
    }
)
_JOINS = frozenset({"и", "или", "-", "–", "—"})


@dataclass(frozen=True)
class _Word:
    """A word as the dictionary reads it."""

    normal: str  # dictionary form, ё as е
    content: bool  # carries a subject: not a preposition, a pronoun, a greeting...
    number: int | None  # the number a numeral names («пятой» 5, «двадцать» 20)
    ordinal: bool
    verb: bool  # a verb, a participle or a gerund


@dataclass(frozen=True)
class _Token:
    kind: str  # _WORD, _NUM or _MARK
    text: str  # lower case, ё as е; a number's digits (with a house letter: «15а»)
    spelled: bool = False  # a number written in words


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
def _parse(word: str) -> _Word:
    """The first reading of a word (lower case, ё as е): enough for hotline questions, and
    the first only, so that «семью» stays a family rather than seven."""
    parsed = _morph().parse(word)[0]
    normal = str(parsed.normal_form).replace("ё", "е")[:MAX_TERM]
    number = None
    if normal in _CARDINALS and ("NUMR" in parsed.tag or normal in _CARDINAL_NOUNS):
        number = _CARDINALS[normal]
    elif normal in _ORDINALS and "Anum" in parsed.tag:
        number = _ORDINALS[normal]
    content = parsed.tag.POS not in _NOISE and normal not in _COMMON
    return _Word(normal, content, number, normal in _ORDINALS, parsed.tag.POS in _VERBS)


@lru_cache(maxsize=200_000)
def lemma(word: str) -> str | None:
    """The word's dictionary form, or None for a word that carries no subject."""
    word = word.lower().replace("ё", "е")
    if word[0].isdigit():
        return word
    if len(word) < 2:
        return None
    found = _parse(word)
    return found.normal if found.content else None


def lemmas(text: str) -> list[str]:
    """The text's content words as lemmas, in order (repeats kept); numbers as digits in
    their role («дом:60», «кв:4», «школа:25», plain «3» for a count), a house's street
    marked «ул:» (see ``term``)."""
    tokens = _spelled_numbers(_tokens(text))
    roles = _roles(tokens)
    streets = _streets(tokens, roles)
    found: list[str] = []
    for i, token in enumerate(tokens):
        if token.kind == _NUM:
            found.append(f"{roles[i]}:{token.text}" if roles[i] else token.text)
        elif token.kind == _WORD and (word := _content(tokens, i)) is not None:
            found.append(STREET + word if i in streets else word)
    return found


def term(found: str) -> str:
    """The index term of a lemma: a street is indexed as its word, so «на Лесной 8» and
    «на Лесной улице» share it; a number keeps its role («дом:8» is not «школа:8»)."""
    return found.removeprefix(STREET)


def number(found: str) -> tuple[str, str] | None:
    """(role, digits) of a number that names something (a house, a flat, a route, a
    school); None for a word, a street or a count."""
    role, sign, digits = found.partition(":")
    return (role, digits) if sign and role != STREET[:-1] else None


def action(term: str) -> bool:
    """The term is a verb (or a participle): it says what happens, less what about."""
    return ":" not in term and not term[0].isdigit() and _parse(term).verb


@lru_cache(maxsize=200_000)
def known(term: str) -> bool:
    """The dictionary knows the word: it is no misspelling (numbers count as known)."""
    return term[0].isdigit() or ":" in term or bool(_morph().word_is_known(term))


def _tokens(text: str) -> list[_Token]:
    """Words, numbers in digits and the marks that bind numbers to words; times, dates and
    decimals («23:00», «1.5») are dropped: they name no place."""
    found = []
    for match in _TOKEN.finditer(text.lower().replace("ё", "е")):
        digits, suffix, piece = match.group("digits"), match.group("suffix"), match.group(0)
        if digits is not None:
            letter = suffix if suffix in _HOUSE_LETTERS else ""  # «15а»; «25-я» an ending
            found.append(_Token(_NUM, (digits.lstrip("0") or "0")[:MAX_DIGITS] + letter))
        elif piece[0].isalpha():
            found.append(_Token(_WORD, piece))
        elif not piece[0].isdigit():
            found.append(_Token(_MARK, piece))
    return found


def _spelled_numbers(tokens: list[_Token]) -> list[_Token]:
    """Number words read as digits: «двадцать пятая» is 25, «сто двадцать третий» 123,
    «две тысячи» 2000; an ordinal ends the number it closes."""
    found: list[_Token] = []
    value, last, closed = 0, 0, True
    for token in tokens:
        word = _parse(token.text) if token.kind == _WORD else None
        if word is None or word.number is None:
            found.append(token)
            closed = True
            continue
        n = word.number
        if closed or not (n < _room(last) or (n == 1000 and value < 1000)):
            value = n
            found.append(_Token(_NUM, str(n), spelled=True))
        else:
            value = max(value, 1) * 1000 if n == 1000 else value + n
            found[-1] = _Token(_NUM, str(value), spelled=True)
        last, closed = n, word.ordinal
    return found


def _room(last: int) -> int:
    """What may follow a number word in the same number: below 100 after «сто», below 10
    after «двадцать», below 1000 after «тысяча», nothing after «пять» or «двенадцать»."""
    if 10 <= last < 20:
        return 0
    room = 1
    while last and last % (room * 10) == 0:
        room *= 10
    return room if room > 1 else 0


def _roles(tokens: list[_Token]) -> list[str]:
    """Each number's role, by the words around it («д 60», «кв 4», «25-я школа», «автобус
    №12»), shared along a list («8 и 9 этажах», «дом 15 и 17»); "" for a count («3 дня»,
    «в два раза»). A bare number in digits is a house («Мира 45»), one in words a count."""
    given = [_given_role(tokens, i) if t.kind == _NUM else None for i, t in enumerate(tokens)]
    roles = [""] * len(tokens)
    for group in _lists(tokens):
        role = next((given[i] for i in group if given[i] is not None), None)
        for i in group:
            roles[i] = role if role is not None else ("" if tokens[i].spelled else HOUSE)
    return roles


def _given_role(tokens: list[_Token], i: int) -> str | None:
    """The role the words next to a number give it: a unit makes it a count; else a role
    word before it («школа №5», «д. 12»), else after it («5 школа»); «№» alone, a number
    of something unnamed."""
    before, signed = _word_before(tokens, i)
    after = _word_after(tokens, i)
    if _is_unit(before) or _is_unit(after):
        return ""
    for word in (before, after):
        if word is not None and (role := _role_word(word)) is not None:
            return role
    return "№" if signed else None


def _lists(tokens: list[_Token]) -> list[list[int]]:
    """Numbers joined by «и», «или» or a dash, each list as one group of indices."""
    groups: list[list[int]] = []
    for i, token in enumerate(tokens):
        if token.kind != _NUM:
            continue
        joined = i >= 2 and tokens[i - 2].kind == _NUM and tokens[i - 1].text in _JOINS
        if joined and groups and groups[-1][-1] == i - 2:
            groups[-1].append(i)
        else:
            groups.append([i])
    return groups


def _streets(tokens: list[_Token], roles: list[str]) -> set[int]:
    """The street word of each house number: the address, not the complaint."""
    return {
        j
        for i, role in enumerate(roles)
        if role == HOUSE and tokens[i].kind == _NUM and (j := _street_of(tokens, i)) is not None
    }


def _street_of(tokens: list[_Token], i: int) -> int | None:
    """«Лесная 8», «Мира, 45», «Ленина д 60», «Ленина, дом 15», «Лесная улица дом 8»,
    «дом 3 по улице Чехова»; not «во дворе дома 3», whose word before is no street."""
    j = _skip_back(tokens, i - 1, _SIGNS)
    if j is None:
        return None
    if tokens[j].text != "д" and _normal(tokens[j]) == HOUSE:
        after = _street_after_po(tokens, i)
        k = j - 1
        if after is not None or k < 0 or not (tokens[k].text == "," or _is_marker(tokens[k])):
            return after
        j = k
    elif tokens[j].text == "д":
        j -= 1
    found = _skip_back(tokens, j, _SIGNS, markers=True)
    return found if found is not None and _is_street(tokens[found]) else None


def _street_after_po(tokens: list[_Token], i: int) -> int | None:
    """«дом 12 по Советской», «дома 3 по улице Чехова»: the street after «по»."""
    if i + 2 >= len(tokens) or tokens[i + 1].text != "по":
        return None
    j = i + 2
    while j < len(tokens) and (tokens[j].text == "." or _is_marker(tokens[j])):
        j += 1
    return j if j < len(tokens) and _is_street(tokens[j]) else None


def _skip_back(
    tokens: list[_Token], j: int, marks: frozenset[str], markers: bool = False
) -> int | None:
    while j >= 0 and (tokens[j].text in marks or (markers and _is_marker(tokens[j]))):
        j -= 1
    return j if j >= 0 else None


def _word_before(tokens: list[_Token], i: int) -> tuple[_Token | None, bool]:
    """The word before a number past «.», «№» and «номер», and whether a sign was there."""
    j, signed = i - 1, False
    while j >= 0 and (tokens[j].text in (".", "№") or tokens[j].text in _NUMBER_SIGNS):
        signed = signed or tokens[j].text != "."
        j -= 1
    return (tokens[j] if j >= 0 and tokens[j].kind == _WORD else None), signed


def _word_after(tokens: list[_Token], i: int) -> _Token | None:
    return tokens[i + 1] if i + 1 < len(tokens) and tokens[i + 1].kind == _WORD else None


def _content(tokens: list[_Token], i: int) -> str | None:
    """A word's lemma, unless it carries no subject or only says what a number is."""
    return None if _address_syntax(tokens, i) else lemma(tokens[i].text)


def _address_syntax(tokens: list[_Token], i: int) -> bool:
    """«д», «кв», «ул», «дом 60», «квартира 4», «номер 5»: words that only say what the
    next number is (the number keeps the role) or that a street follows."""
    text = tokens[i].text
    if text in _ABBREVIATIONS:
        return True
    if _normal(tokens[i]) not in _ADDRESS_WORDS and text not in _NUMBER_SIGNS:
        return False
    j = i + 1
    while j < len(tokens) and tokens[j].text in (".", "№"):
        j += 1
    return j < len(tokens) and tokens[j].kind == _NUM


def _normal(token: _Token) -> str:
    if token.kind != _WORD:
        return token.text
    return token.text if token.text in _ROLE_ABBREVIATIONS else _parse(token.text).normal


def _role_word(token: _Token) -> str | None:
    return _ROLES.get(token.text) or _ROLES.get(_normal(token))


def _is_unit(token: _Token | None) -> bool:
    return token is not None and token.kind == _WORD and _normal(token) in _UNITS


def _is_marker(token: _Token) -> bool:
    return token.kind == _WORD and (token.text in _MARKERS or _normal(token) in _MARKERS)


def _is_street(token: _Token) -> bool:
    """A word that can name a street: content, and not a role, a unit or a number word."""
    if token.kind != _WORD or len(token.text) < 2 or _role_word(token) or _is_unit(token):
        return False
    word = _parse(token.text)
    return word.content and word.number is None
