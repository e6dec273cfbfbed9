"""The public archive and its search with 10,000 published releases on SQLite.

Fills a fresh SQLite database (through the migrations, so the FTS5 index and its triggers
are the production ones) with ``--releases`` published releases of ~150 Russian words each,
then serves the web application on 127.0.0.1 and requests, one at a time, over HTTP:

- archive pages: the first page and random pages deep in the archive;
- search: a word in ~1 release in 10, a word in every release, two words together, a
  rare word, and a word that matches nothing; each in a random word form.

Reports the median and p95 of the time each request spends in the server (from the first
middleware in to the response out), and of the full round trip seen by the client (client
and server share one process and event loop, so that is an upper bound). The machine's
load average is printed with them: on a shared machine the figures follow it. Target:
p95 < 50 ms for both.

Run: python -m bench.bench_web [--releases 10000] [--requests 300]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from config import Settings
from shared.clock import utcnow
from shared.domain import PostKind, PostStatus
from shared.services import Services
from shared.storage.migrate import upgrade
from shared.storage.schema import posts
from web.app import build_app

VOCABULARY = (
    "администрация города жители района улица дом школа детский сад больница дорога "
    "ремонт благоустройство парк сквер площадь набережная мост транспорт автобус "
    "остановка водоснабжение канализация электричество освещение уборка снег лёд тротуар "
    "двор подъезд управляющая компания собрание слушания публичные бюджет программа "
    "проект строительство реконструкция капитальный текущий срок подрядчик контракт "
    "аукцион торги извещение заявка документы приём граждан вопрос ответ горячая линия "
    "глава заместитель департамент отдел комитет совет депутаты решение постановление "
    "распоряжение порядок праздник концерт выставка музей библиотека спорт стадион "
    "соревнования турнир молодёжь ветераны пенсионеры семьи дети поддержка помощь льготы "
    "выплаты пособие вакцинация поликлиника врач приём запись экология деревья "
    "озеленение субботник мусор контейнер площадка тариф счётчик показания платёж "
    "квитанция перерасчёт отключение подача тепло"
)
WORDS = VOCABULARY.split()
HEAT = ("отопление", "отопления", "отоплением", "отоплению")
RARE = ("велодорожка", "велодорожки", "велодорожку")


def body(rng: random.Random, n: int) -> str:
    words = [rng.choice(WORDS) for _ in range(150)]
    if n % 10 == 0:
        words.insert(rng.randrange(len(words)), rng.choice(HEAT))
    if n % 1000 == 0:
        words.insert(rng.randrange(len(words)), rng.choice(RARE))
    text = " ".join(words).capitalize() + "."
    paragraphs = [text[i : i + 400] for i in range(0, len(text), 400)]
    return json.dumps([{"k": "paragraph", "s": [{"t": p}]} for p in paragraphs], ensure_ascii=False)


async def fill(services: Services, count: int) -> None:
    rng = random.Random(42)
    now = utcnow()
    rows = [
        {
            "title": " ".join(rng.choice(WORDS) for _ in range(6)).capitalize(),
            "body": body(rng, n),
            "kind": PostKind.PRESS_RELEASE.value,
            "status": PostStatus.PUBLISHED.value,
            "platforms": ["telegram", "vk"],
            "created_by": "bench",
            "version": 1,
            "created_at": now - timedelta(hours=count - n),
            "updated_at": now - timedelta(hours=count - n),
            "published_at": now - timedelta(hours=count - n),
        }
        for n in range(count)
    ]
    for start in range(0, count, 1000):
        async with services.db.write() as conn:
            await conn.execute(posts.insert(), rows[start : start + 1000])


def summary(name: str, times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    p95 = ms[max(0, round(0.95 * len(ms)) - 1)]
    return f"{name:<34} n={len(ms):<5} median {statistics.median(ms):6.1f} ms   p95 {p95:6.1f} ms"


SERVER_TIMES: list[float] = []
CPU_TIMES: list[float] = []


@web.middleware
async def timed(request: web.Request, handler: Any) -> web.StreamResponse:
    """Wall time in the server, and the CPU time the process spent meanwhile (all threads:
    the loop and SQLite's; requests come one at a time, so it is this request's)."""
    started, cpu = time.perf_counter(), time.process_time()
    try:
        return await handler(request)
    finally:
        SERVER_TIMES.append(time.perf_counter() - started)
        CPU_TIMES.append(time.process_time() - cpu)


async def measure(base: str, paths: list[str]) -> tuple[list[float], list[float], list[float]]:
    """Round-trip, in-server and CPU times of ``paths``, requested one at a time."""
    SERVER_TIMES.clear()
    CPU_TIMES.clear()
    times: list[float] = []
    async with aiohttp.ClientSession() as session:
        for path in paths:
            started = time.perf_counter()
            async with session.get(base + path) as response:
                await response.read()
                assert response.status == 200, (path, response.status)
            times.append(time.perf_counter() - started)
    return times, list(SERVER_TIMES), list(CPU_TIMES)


async def main(releases: int, requests: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            _env_file=None,
            database={"url": f"sqlite+aiosqlite:///{Path(tmp)}/bench.db"},
            web={"enabled": True, "secret_key": secrets.token_urlsafe(32)},
            log_level="WARNING",
        )
        services = Services.build(settings)
        await upgrade(services.db)
        started = time.perf_counter()
        await fill(services, releases)
        print(f"{releases} releases written in {time.perf_counter() - started:.1f} s")
        app = build_app(services, settings.web)
        app.middlewares.insert(0, timed)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        base = f"http://127.0.0.1:{port}"
        rng = random.Random(7)
        pages = max(1, releases // settings.web.page_size)
        archive = ["/"] * (requests // 3) + [
            f"/?page={rng.randint(2, pages)}" for _ in range(requests - requests // 3)
        ]
        queries = [
            lambda: rng.choice(HEAT),
            lambda: "администрации",
            lambda: f"{rng.choice(HEAT)} {rng.choice(['ремонта', 'школы', 'дороги'])}",
            lambda: rng.choice(RARE),
            lambda: "космодром",
        ]
        search = [f"/search?q={queries[i % len(queries)]()}" for i in range(requests)]
        await measure(base, ["/", "/search?q=тест"])  # warm-up
        archive_round, archive_server, archive_cpu = await measure(base, archive)
        search_round, search_server, search_cpu = await measure(base, search)
        print("load average: " + " ".join(f"{x:.1f}" for x in os.getloadavg()))
        print(summary("archive page (server)", archive_server))
        print(summary("archive page (round trip)", archive_round))
        print(summary("archive page (server CPU)", archive_cpu))
        print(summary("search (server)", search_server))
        print(summary("search (round trip)", search_round))
        print(summary("search (server CPU)", search_cpu))
        for i, label in enumerate(["one in ten", "every release", "two words", "rare", "none"]):
            print(summary(f"  search, server: {label}", search_server[i :: len(queries)]))
        await runner.cleanup()
        await services.db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--releases", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    asyncio.run(main(args.releases, args.requests))
