"""/queue and /next with 1,000,000 questions in SQLite: median and p95 latency.

The database is filled with plain ``sqlite3`` (fast), then the real code paths are timed:
``moderation.queue`` (the first page, and a page deep in the queue) and
``moderation.next_question`` (take the oldest new question, queue its card), each run
through ``db.read()``/``db.write()`` exactly as the admin chat handlers call them.

Run: python -m bench.bench_queue [--questions 1000000] [--waiting-share 0.02] [--runs 200]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from shared.hotlines import moderation
from shared.hotlines.model import Moderator
from shared.services import Services
from shared.storage.migrate import upgrade
from simulators.telegram import FakeTelegram
from tests.harness import settings_for

CITIZENS = 50_000


def fill(path: Path, total: int, waiting_share: float) -> int:
    now = datetime.now(UTC).replace(tzinfo=None)
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    con.execute(
        "INSERT INTO hotlines (topic, description, starts_at, ends_at, status, announced,"
        " summary_sent, created_by, created_at) VALUES ('Отопление', '', ?, ?, 'open', 1, 0,"
        " 'bench', ?)",
        (now - timedelta(days=1), now + timedelta(days=1), now),
    )
    con.executemany(
        "INSERT INTO citizens (platform, platform_user_id, display_name, consent_at, reachable,"
        " banned, state_data, throttle_count, created_at) VALUES (?, ?, 'Житель', ?, 1, 0, '{}',"
        " 0, ?)",
        ((("telegram", "vk")[i % 2], str(10_000 + i), now, now) for i in range(CITIZENS)),
    )
    rng = random.Random(4)
    waiting = 0

    def rows():  # type: ignore[no-untyped-def]
        nonlocal waiting
        for i in range(total):
            r = rng.random()
            if r < waiting_share:
                status = "new" if r < waiting_share * 0.7 else "assigned"
                waiting += 1
            else:
                status = "answered" if r < 0.99 else "rejected"
            yield (
                1 + i % CITIZENS, 1, f"Вопрос номер {i} про отопление в доме", "[]", status,
                5001 if status == "assigned" else None, 0, 1, now,
            )  # fmt: skip

    con.executemany(
        "INSERT INTO questions (citizen_id, hotline_id, text, attachments, status, assigned_to,"
        " publishable, carded, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows(),
    )
    con.commit()
    con.execute("ANALYZE")
    con.close()
    return waiting


def summary(name: str, times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    p95 = ms[int(len(ms) * 0.95) - 1]
    return f"{name}: median {statistics.median(ms):.2f} ms, p95 {p95:.2f} ms ({len(ms)} runs)"


async def main(total: int, waiting_share: float, runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, FakeTelegram(limits=False) as tg:
        settings = settings_for(Path(tmp), tg)
        services = Services.build(settings)
        await upgrade(services.db)
        started = time.perf_counter()
        waiting = fill(Path(tmp) / "glashatai.db", total, waiting_share)
        took = time.perf_counter() - started
        print(f"filled {total:,} questions ({waiting:,} waiting) in {took:.0f} s")
        mod = Moderator(5001, "Мария", "tg:5001")
        timings: dict[str, list[float]] = {"queue": [], "queue_deep": [], "next": []}
        rng = random.Random(5)
        for _ in range(runs):
            t = time.perf_counter()
            await moderation.queue(services)
            timings["queue"].append(time.perf_counter() - t)
            t = time.perf_counter()
            await moderation.queue(services, after_id=rng.randrange(total))
            timings["queue_deep"].append(time.perf_counter() - t)
            t = time.perf_counter()
            await moderation.next_question(services, mod)
            timings["next"].append(time.perf_counter() - t)
        print(summary("/queue (first page)", timings["queue"]))
        print(summary("/queue (a page deep in the queue)", timings["queue_deep"]))
        print(summary("/next (take + card queued)", timings["next"]))
        await services.db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=1_000_000)
    parser.add_argument("--waiting-share", type=float, default=0.02)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(main(args.questions, args.waiting_share, args.runs))
