"""The archive's search on both engines: what is typed as the release has it is found, a
word finds its own forms and not the longer words it begins, and «ё» and «й» are one letter
however they were typed (composed or, from a PDF or a Mac, decomposed)."""

from __future__ import annotations

import re
import unicodedata

import pytest
from sqlalchemy import text as sql

from shared.clock import utcnow
from shared.richtext import from_plain
from shared.services import Services
from shared.storage import schema
from shared.storage.engine import Database
from shared.storage.migrate import drift, upgrade
from tests.web import test_public_pages as pages
from tests.web.test_public_pages import Client, found_ids, published, text
from web import search

services = pages.services  # the fixtures: settings for the fakes, an HTTP client on the app
client = pages.client


def nfd(words: str) -> str:
    return unicodedata.normalize("NFD", words)


@pytest.mark.parametrize(
    "query",
    ["01.12.2026", "отключение 01.12.2026", "priem@town.ru", "town.ru", "COVID-19", "Ту-154"],
)
async def test_a_date_an_address_or_a_name_with_digits_is_found_as_written(
    services: Services, client: Client, query: str
) -> None:
    """PostgreSQL reads the query with the parser that read the release (one token
    «01.12.2026», «priem@town.ru», «-19»); SQLite matches their words."""
    wanted = await published(
        services,
        "График приёма",
        "Отключение 01.12.2026. Пишите на priem@town.ru или на сайт town.ru. "
        "Меры против COVID-19. Самолёт Ту-154 на площади.",
    )
    await published(services, "Другое", "Отключение 02.12.2026, сайт city.ru, Ил-86.")
    assert found_ids(await text(client, "/search?" + _q(query))) == {wanted}


def _q(query: str) -> str:
    from urllib.parse import urlencode

    return urlencode({"q": query})


@pytest.mark.parametrize(
    ("query", "unrelated"),
    [
        ("лес", "Ремонт лестниц в школе №3"),
        ("вода", "Памятка для водителей"),
        ("мир", "Мировой судья ведёт приём"),
        ("пол", "Получить справку"),
    ],
)
async def test_a_word_finds_its_forms_not_longer_words(
    services: Services, client: Client, query: str, unrelated: str
) -> None:
    """SQLite matched a stem as a prefix («лес» found «лестниц»); now, as PostgreSQL, a
    word finds its own forms only."""
    own = await published(services, f"Про {query}", f"Снова {query}.")
    await published(services, unrelated, "Подробности в администрации.")
    assert found_ids(await text(client, "/search?" + _q(query))) == {own}


async def test_word_forms_and_stop_words_as_on_postgresql(
    services: Services, client: Client
) -> None:
    """Forms of a word find each other; a stop word («в», «для») is left out of the query,
    as PostgreSQL leaves it out, so it need not be in the release; a query of stop words
    alone finds nothing."""
    off = await published(services, "Отключение воды", "Плановые отключения в домах")
    school = await published(services, "Ремонт школы №3", "Начнётся летом")
    forms = {
        "отключения": {off},
        "отключением воды": {off},
        "водой": {off},
        "дом": {off},
        "ремонт в школе": {school},
        "ремонт для школ": {school},
        "и в для": set(),
    }
    for query, wanted in forms.items():
        assert found_ids(await text(client, "/search?" + _q(query))) == wanted, query


@pytest.mark.parametrize("query", [nfd("ёлка"), "ёлка", "елка", "ЁЛКУ", nfd("Ёлку")])
async def test_a_decomposed_yo_in_the_query_is_yo(
    services: Services, client: Client, query: str
) -> None:
    """«е» + U+0308 in the query is «ё», not «е» and «лка»; the form repeats it as typed."""
    yolka = await published(services, "Новогодняя ёлка", "Ёлку установят на площади.")
    html = await text(client, "/search?" + _q(query))
    assert found_ids(html) == {yolka}, ascii(query)
    assert re.search(r'<p role="status">[^<]*найдено: 1', html)


@pytest.mark.parametrize("query", ["елка", "ёлка", "йод", "район"])
async def test_a_decomposed_yo_or_short_i_in_the_release_is_one_letter(
    services: Services, client: Client, query: str
) -> None:
    """A release spelling «ё» and «й» decomposed is found by them typed either way: the
    indexes hold the composed text (SQLite would index «й» as «и» otherwise)."""
    title = nfd("Новогодняя ёлка")
    release = await published(services, title, nfd("Йод и аптеки района."))
    decoy = await published(services, "Иод", "Иодные растворы")
    found = found_ids(await text(client, "/search?" + _q(query)))
    assert found == {release}, (ascii(query), decoy)
    assert found == found_ids(await text(client, "/search?" + _q(nfd(query))))


async def test_the_search_index_is_rebuilt_by_the_upgrade(empty_db: Database) -> None:
    """0018: releases stored before it (a decomposed «ё» and «й» among them) are found by
    their words' forms once it has run, on both engines; it goes down to 0017 and up again."""
    await upgrade(empty_db, "0017")
    now = utcnow()
    stored = {1: ("Новогодняя ёлка", "Учёт подарков"), 2: (nfd("Ёлка"), nfd("Йод в районе"))}
    stored[3] = ("Ремонт лестниц", "Подробности")
    async with empty_db.write() as conn:
        for post_id, (title, body) in stored.items():
            await conn.execute(
                schema.posts.insert().values(
                    id=post_id, title=title, body=from_plain(body).to_json(),
                    kind="press_release", status="published", platforms=["vk"],
                    created_by="test", version=1, created_at=now, updated_at=now,
                    published_at=now,
                )
            )  # fmt: skip

    await upgrade(empty_db)
    await _finds(empty_db, {"елка": {1, 2}, "учет": {1}, "йод": {2}, "район": {2}, "лес": set()})
    assert await drift(empty_db) == []

    await _downgrade(empty_db, "0017")
    await upgrade(empty_db)
    await _finds(empty_db, {"ёлку": {1, 2}, "лестница": {3}})
    assert await drift(empty_db) == []


async def _finds(db: Database, wanted: dict[str, set[int]]) -> None:
    async with db.read() as conn:
        for query, ids in wanted.items():
            match = await search.condition(conn, query)
            found = await conn.execute(schema.posts.select().where(match))
            assert {row.id for row in found} == ids, query


async def _downgrade(db: Database, revision: str) -> None:
    from alembic import command
    from sqlalchemy.engine import Connection

    from shared.storage.migrate import alembic_config

    def _run(connection: Connection) -> None:
        command.downgrade(alembic_config(connection), revision)

    async with db.engine.begin() as conn:
        await conn.run_sync(_run)
        version = (await conn.execute(sql("SELECT version_num FROM alembic_version"))).scalar()
    assert version == revision
