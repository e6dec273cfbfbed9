"""Similar questions that differ only in a number or in what is wrong, on both engines.

A wrong group sends one citizen the answer meant for another, so these near-misses must
stay apart through the real index (intake stores and indexes each question as a card
does), while the same school or house written another way still meets: number words as
digits, each number in the role the text gives it (house, flat, route, school), and the
complaint weighing more than the address it is made at.
"""

from __future__ import annotations

from pathlib import Path

from config import Settings
from shared.hotlines import similar
from shared.hotlines.lemmas import lemmas
from shared.services import Services
from shared.storage.engine import Database
from shared.texts import Texts
from tests.harness import settings_for
from tests.test_similar_core import _ask, _hotline

THRESHOLD = Settings().hotline.similar_threshold


async def _asked(db: Database, tmp_path: Path, texts: list[str]) -> list[int]:
    """Each text asked by its own citizen in one open hotline, in order."""
    services = Services(settings=settings_for(tmp_path), db=db, texts=Texts.load())
    hotline = await _hotline(db, "Городское хозяйство")
    return [await _ask(services, hotline, t, str(500 + n)) for n, t in enumerate(texts)]


async def _found(db: Database, qid: int) -> dict[int, float]:
    async with db.read() as conn:
        return {m.question_id: m.score for m in await similar.find(conn, qid, THRESHOLD)}


def _terms(text: str) -> set[str]:
    return set(lemmas(text))


def test_number_words_are_the_digits_they_name() -> None:
    school_25 = _terms("школа №25")
    assert "школа:25" in school_25
    assert _terms("двадцать пятая школа") == school_25
    assert _terms("25-я школа") == _terms("школа 25") == school_25
    assert _terms("в двадцать пятой школе") == school_25
    assert _terms("пятая школа") != school_25
    assert _terms("сто двадцать третий автобус") == _terms("автобус №123")
    assert _terms("сто двадцать третий автобус") != _terms("автобус 23")
    assert _terms("две тысячи двадцать пятый год") == _terms("2025 год")


def test_a_number_keeps_the_role_the_text_gives_it() -> None:
    assert _terms("ул. Ленина д 60, кв 4") != _terms("ул. Ленина д 4, кв 60")
    assert _terms("Ленина, дом 60, квартира 4") == _terms("ул Ленина д.60 кв.4")
    assert _terms("второй подъезд") == _terms("подъезд 2")
    assert (
        _terms("дом 3 по улице Чехова") - {"улица"}
        == _terms("Чехова, д. 3")
        == {
            "ул:чехов",
            "дом:3",
        }
    )
    # Counted things are no address: «3 дня» is not house 3, «в семью» is no seven.
    assert _terms("третий день нет воды") == _terms("3 дня нет воды") == {"3", "нет", "вода"}
    assert _terms("на 8 и 9 этажах") == {"8", "9", "этаж"}
    assert _terms("субсидия на семью") == {"субсидия", "семья"}


async def test_a_school_in_number_words_meets_the_same_school_in_digits_only(
    db: Database, tmp_path: Path
) -> None:
    words, digits, sign, suffix, fifth, five = await _asked(
        db,
        tmp_path,
        [
            "Когда закончат ремонт двадцать пятой школы?",
            "ремонт школы 25 когда закончат",
            "Ремонт школы №25 затянулся, когда закончат?",
            "25-я школа ремонт когда закончится",
            "Когда закончат ремонт пятой школы?",
            "школа 5 ремонт когда закончится",
        ],
    )
    assert set(await _found(db, words)) == {digits, sign, suffix}
    assert set(await _found(db, fifth)) == {five}
    assert words not in await _found(db, five)


async def test_a_route_in_compound_number_words_is_that_route(db: Database, tmp_path: Path) -> None:
    words, digits, _route_23 = await _asked(
        db,
        tmp_path,
        [
            "Сто двадцать третий автобус ходит очень редко",
            "автобус 123 ходит редко",
            "автобус 23 ходит очень редко",
        ],
    )
    assert set(await _found(db, words)) == {digits}


async def test_house_and_flat_swapped_is_another_address(db: Database, tmp_path: Path) -> None:
    house_60, house_4, same, next_door, next_flat = await _asked(
        db,
        tmp_path,
        [
            "ул. Ленина д 60, кв 4 нет горячей воды",
            "ул. Ленина д 4, кв 60 нет горячей воды",
            "Ленина 60, квартира 4: горячей воды нет",
            "ул. Ленина д 62, кв 4 нет горячей воды",
            "ул. Ленина д 60, кв 5 нет горячей воды",
        ],
    )
    assert set(await _found(db, house_60)) == {same}
    assert house_60 not in await _found(db, house_4)
    assert house_60 not in await _found(db, next_door)
    assert house_60 not in await _found(db, next_flat)


async def test_another_complaint_at_the_same_house_is_another_question(
    db: Database, tmp_path: Path
) -> None:
    trash, snow, trash_again, lift = await _asked(
        db,
        tmp_path,
        [
            "Лесная 8, во дворе не вывозят мусор, контейнеры переполнены",
            "Лесная 8, во дворе не убирают снег, машины не выехать",
            "мусор на Лесной 8 не вывозят неделю, контейнеры полные",
            "В доме Лесная 8 не работает лифт",
        ],
    )
    assert set(await _found(db, trash)) == {trash_again}
    assert set(await _found(db, snow)) == set()
    assert trash not in await _found(db, lift)
