"""Similar questions: quality on the labelled set, and the cost of a search in a big hotline.

Quality: the 331 hand-written questions of ``tests/data/similar_questions.txt`` in one
hotline, each searched through the real index; a pair of questions counts as "found" when
either names the other at or above the threshold. Precision and recall of "same group"
pairs at several thresholds (the default marked).

Cost: a hotline of ``--questions`` waiting questions (variants of the labelled ones with
other streets, houses, routes and schools, so the terms are spread as in a real city),
then ``similar.find`` for ``--searches`` of them, as a card does: median, p95 and max
milliseconds per question. SQLite by default; ``--postgres URL`` runs on PostgreSQL too.

Start-up (``--startup N``): the dictionaries (pymorphy3) load in a thread from the hotlines'
install; N fresh processes each start the real app against the Telegram simulator on an
existing SQLite database and time it to the "Glashatai is running" line, then to the
dictionaries loaded; as many again with the load done synchronously in install, as it was
before. Medians of each, the two kinds alternating.

Run: python -m bench.bench_similar [--questions 100000] [--searches 300] [--postgres URL]
     (``--questions 0``: the quality part alone)
     python -m bench.bench_similar --startup 10
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import create_async_engine

from config import Settings
from shared.clock import utcnow
from shared.domain import QuestionStatus
from shared.hotlines import campaigns, similar
from shared.storage import citizens
from shared.storage.engine import Database
from shared.storage.migrate import upgrade
from shared.storage.schema import questions
from tests.similar_labelled import load, quality, scored_pairs, store

THRESHOLDS = (0.2, 0.25, 0.3, 0.35, 0.4, 0.5)
STREETS = (
    "Ленина",
    "Советская",
    "Мира",
    "Гагарина",
    "Кирова",
    "Пушкина",
    "Чехова",
    "Лесная",
    "Садовая",
    "Октябрьская",
    "Строителей",
    "Набережная",
    "Молодежная",
    "Первомайская",
    "Речная",
    "Школьная",
    "Полевая",
    "Заводская",
    "Комсомольская",
    "Победы",
    "Южная",
    "Северная",
    "Луговая",
    "Береговая",
    "Зеленая",
    "Рабочая",
    "Новая",
    "Озерная",
    "Калинина",
    "Горького",
    "Лермонтова",
    "Толстого",
    "Островского",
    "Суворова",
    "Кутузова",
    "Фрунзе",
    "Чапаева",
    "Маяковского",
    "Некрасова",
    "Тургенева",
    "Шевченко",
    "Дзержинского",
    "Свердлова",
    "Энгельса",
    "Жукова",
)
BATCH = 2000


def variant(rng: random.Random, base: str) -> str:
    """A labelled question asked about another place: other numbers, another street."""
    out = re.sub(r"\d+", lambda _: str(rng.randint(1, 150)), base)
    for street in STREETS[:14]:
        if street[:5].lower() in out.lower():
            out = re.sub(street[:5] + r"\w*", rng.choice(STREETS), out, flags=re.IGNORECASE)
    return out


async def fill(db: Database, count: int, seed: int = 13) -> tuple[int, list[int]]:
    """One open hotline with ``count`` waiting questions, indexed; (hotline, their ids)."""
    rng = random.Random(seed)
    base = [row.text for row in load()]
    now = utcnow()
    async with db.write() as conn:
        hotline = await campaigns.create(
            conn,
            topic="Городское хозяйство",
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(hours=1),
            created_by="bench",
        )
        hotline_id = hotline.id
        citizen_id = (await citizens.get_or_create(conn, "vk", "1")).id
    ids: list[int] = []
    for start in range(0, count, BATCH):
        batch = [variant(rng, rng.choice(base)) for _ in range(min(BATCH, count - start))]
        rows = [
            {
                "id": start + n + 1,
                "citizen_id": citizen_id,
                "hotline_id": hotline_id,
                "text": body,
                "attachments": [],
                "status": QuestionStatus.NEW.value,
                "publishable": False,
                "carded": True,
                "created_at": now,
            }
            for n, body in enumerate(batch)
        ]
        async with db.write() as conn:
            await conn.execute(insert(questions), rows)
            await similar.index_many(conn, hotline_id, [(r["id"], r["text"]) for r in rows])
        ids.extend(r["id"] for r in rows)
    if not db.sqlite:
        async with db.write() as conn:
            await conn.execute(text("ANALYZE"))
    return hotline_id, ids


async def measure_quality(db: Database) -> None:
    groups = await store(db, load())
    pairs = await scored_pairs(db, sorted(groups))
    default = Settings().hotline.similar_threshold
    print(f"  labelled set: {len(groups)} questions, {len(set(groups.values()))} groups")
    for threshold in THRESHOLDS:
        q = quality(groups, pairs, threshold)
        mark = "  <- default" if threshold == default else ""
        print(
            f"  threshold {threshold:.2f}: precision {q.precision:.3f}  recall {q.recall:.3f}"
            f"  ({q.right} of {q.found} found pairs right; {q.truth} true pairs){mark}"
        )


async def measure_cost(db: Database, count: int, searches: int) -> None:
    started = time.perf_counter()
    _, ids = await fill(db, count)
    print(f"  {count} questions stored and indexed in {time.perf_counter() - started:.0f} s")
    rng = random.Random(7)
    sample = rng.sample(ids, min(searches, len(ids)))
    if db.sqlite:
        await searches_cost(db, count, sample, "")
        return
    await searches_cost(db, count, sample, "right after the bulk insert, not vacuumed; ")
    await vacuum(db)
    await searches_cost(db, count, sample, "after VACUUM, as autovacuum leaves it; ")


async def vacuum(db: Database) -> None:
    """What autovacuum does after inserts (0011 makes it come after 1 % of the table): marks
    the pages all-visible, so index-only scans skip the heap. The test server runs with
    autovacuum off, so the bench does it."""
    async with db.engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE"))


async def searches_cost(db: Database, count: int, sample: list[int], state: str) -> None:
    """``similar.find`` for each of ``sample`` on one connection, as a card does."""
    threshold = Settings().hotline.similar_threshold
    spent: list[float] = []
    found = 0
    async with db.read() as conn:
        await similar.find(conn, sample[0], threshold)  # the dictionaries load once
        cpu = time.process_time()
        for qid in sample:
            t0 = time.perf_counter()
            found += len(await similar.find(conn, qid, threshold))
            spent.append((time.perf_counter() - t0) * 1000)
        cpu = (time.process_time() - cpu) * 1000 / len(sample)
    spent.sort()
    p95 = spent[int(len(spent) * 0.95) - 1]
    print(
        f"  similar.find over {count} waiting questions ({state}load average {machine_load()}):"
        f" median {statistics.median(spent):.1f} ms, mean {statistics.fmean(spent):.1f} ms,"
        f" p95 {p95:.1f} ms, max {spent[-1]:.1f} ms; this process's CPU {cpu:.1f} ms per search"
        f" ({len(spent)} searches, {found / len(spent):.1f} similar found on average)"
    )


def machine_load() -> str:
    """The machine's 1-minute load average: timings on a shared machine need it beside them."""
    return f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


async def on_postgres(url: str, work: str) -> Database:
    admin = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{work}" WITH (FORCE)'))
        await conn.execute(text(f'CREATE DATABASE "{work}"'))
    await admin.dispose()
    return Database(url.rsplit("/", 1)[0] + "/" + work)


async def run(
    name: str, make: Callable[[], Awaitable[Database]], count: int, searches: int
) -> None:
    print(f"{name}:")
    for part in ("quality", "cost") if count else ("quality",):
        db = await make()
        await upgrade(db)
        try:
            if part == "quality":
                await measure_quality(db)
            else:
                await measure_cost(db, count, searches)
        finally:
            await db.dispose()


async def drop(url: str, work: str) -> None:
    admin = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{work}" WITH (FORCE)'))
    await admin.dispose()


async def main(count: int, searches: int, postgres: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        made = iter(range(10))

        async def sqlite() -> Database:
            return Database(f"sqlite+aiosqlite:///{Path(tmp)}/similar{next(made)}.db")

        await run("SQLite", sqlite, count, searches)
    if postgres:
        names: list[str] = []

        async def pg() -> Database:
            names.append(f"bench_similar_{next(made)}")
            return await on_postgres(postgres, names[-1])

        try:
            await run("PostgreSQL", pg, count, searches)
        finally:
            for name in names:
                await drop(postgres, name)


async def start_once(work: Path, synchronous: bool) -> dict[str, float]:
    """One start of the real app (the database already migrated): milliseconds from
    building it to its "running" line, and to the dictionaries loaded."""
    from bots.app import App
    from shared.hotlines import lemmas
    from simulators.telegram import FakeTelegram
    from tests.harness import prepare_telegram, settings_for

    logging.basicConfig(level=logging.WARNING)
    with FakeTelegram() as tg:
        prepare_telegram(tg)
        settings = settings_for(work, tg)
        db = Database(settings.database.url)
        await upgrade(db)
        await db.dispose()
        if synchronous:
            lemmas.warm = lemmas._load  # as before: the load done in install
        started = time.perf_counter()
        app = App(settings)
        await app.start()
        running = time.perf_counter()
        await lemmas.ready()
        loaded = time.perf_counter()
        await app.stop()
    return {"running": (running - started) * 1000, "loaded": (loaded - started) * 1000}


def measure_startup(times: int) -> None:
    """Fresh processes, so each loads the dictionaries anew; the two kinds alternate."""
    found: dict[str, list[dict[str, float]]] = {"thread": [], "synchronous": []}
    for _ in range(times):
        for kind in found:
            with tempfile.TemporaryDirectory() as tmp:
                child = [sys.executable, "-m", "bench.bench_similar", "--startup-child", kind]
                out = subprocess.run(
                    [*child, "--work", tmp], capture_output=True, text=True, check=True
                )
                found[kind].append(json.loads(out.stdout.strip().splitlines()[-1]))
    for kind, runs in found.items():
        running = statistics.median(r["running"] for r in runs)
        loaded = statistics.median(r["loaded"] for r in runs)
        print(
            f"  dictionaries loaded {'in a thread' if kind == 'thread' else 'in install'}:"
            f" running after {running:.0f} ms, dictionaries loaded after {loaded:.0f} ms"
            f" (median of {len(runs)}; load average {machine_load()})"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=100_000)
    parser.add_argument("--searches", type=int, default=300)
    parser.add_argument("--postgres", help="e.g. postgresql+asyncpg://postgres@127.0.0.1/test")
    parser.add_argument("--startup", type=int, help="time N starts of the app instead")
    kinds = ("thread", "synchronous")
    parser.add_argument("--startup-child", choices=kinds, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.startup_child:
        found = asyncio.run(start_once(args.work, args.startup_child == "synchronous"))
        print(json.dumps(found))
    elif args.startup:
        print("Start-up:")
        measure_startup(args.startup)
    else:
        asyncio.run(main(args.questions, args.searches, args.postgres))
