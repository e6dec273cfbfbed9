"""Outbox throughput against the fake Telegram server.

1. Limits off (the fake's and ours): messages/s of the outbox, beside a bare aiogram bot
   sending the same messages with the same concurrency and no database (the baseline).
   Twice: with the fake in this process (its thread takes a share of the one interpreter
   lock, a cost both sides pay per message), and with the fake in a process of its own, as
   a real platform is: then each side's figure is its own work alone, and the share is
   the plainer measure of what the outbox costs beside a bare bot. Each run also reports
   this process's CPU time per message over its timed part (the fake's thread included
   when it runs here): steadier than the rates on a noisy machine, and with the fake apart
   the cost of each side's own work.
2. Real limits on: 1,000 messages to 1,000 private chats; the rate as a share of the
   30/s limit, and how many 429s the fake returned and how many rows ended `failed`.
3. A broadcast enqueued: 100,000 rows with ``enqueue_many`` (batches of 200) while another
   writer makes intake-sized write transactions (one outbox row each) as fast as it can;
   its rate alone and during the enqueue, and its longest wait for one transaction.

Run: python -m bench.bench_outbox [--messages 2000] [--limited 1000] [--enqueue 100000]
     [--rounds 4] [--fake here|apart|both]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import itertools
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from aiogram import Bot
from aiogram.types import LinkPreviewOptions

from bots.telegram.client import make_bot
from config import Settings
from shared.domain import OutboxAction, OutboxState
from shared.outbox import store
from shared.outbox.bulk import BATCH, enqueue_many
from shared.outbox.lanes import Lane
from shared.outbox.model import OutboxMessage
from shared.outbox.payload import message
from shared.outbox.refs import RefCounts, count_by_ref
from shared.richtext import from_plain
from shared.storage.engine import Database
from shared.storage.migrate import upgrade
from simulators.telegram import FakeTelegram
from simulators.waiting import wait
from tests.harness import running_outbox, settings_for

WORKERS = 8
RUNS = itertools.count(1)
REPO = Path(__file__).resolve().parents[1]


@dataclass
class Platform:
    """The fake Telegram the limits-off runs talk to: its address, and how to read its
    request counter and to register the chats of a run."""

    base_url: str
    token: str
    fake: FakeTelegram | None = None  # in this process; else over the control API
    http: aiohttp.ClientSession | None = None

    async def requests(self) -> int:
        if self.fake is not None:
            return self.fake.stats()["requests"]
        assert self.http is not None
        async with self.http.get(f"{self.base_url}/control/stats") as response:
            return int((await response.json())["requests"])

    async def add_users(self, chats: list[int]) -> None:
        if self.fake is not None:
            for chat in chats:
                self.fake.add_user(chat, "Житель")
            return
        assert self.http is not None
        for chat in chats:
            body = {"user_id": chat, "first_name": "Житель"}
            async with self.http.post(f"{self.base_url}/control/user", json=body) as response:
                response.raise_for_status()


@contextlib.asynccontextmanager
async def platform_here() -> AsyncIterator[Platform]:
    with FakeTelegram(limits=False) as tg:
        yield Platform(tg.base_url, tg.token, fake=tg)


@contextlib.asynccontextmanager
async def platform_apart() -> AsyncIterator[Platform]:
    """``python -m simulators.telegram --no-limits`` in a process of its own."""
    command = [sys.executable, "-m", "simulators.telegram", "--port", "0", "--no-limits"]
    proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().strip()
        token = proc.stdout.readline().split(":", 1)[1].strip()
        async with aiohttp.ClientSession() as http:
            yield Platform(base_url, token, http=http)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def bare_bot(bot: Bot, chats: list[int]) -> tuple[float, float]:
    """Messages/s, and this process's CPU seconds meanwhile."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for chat in chats:
        queue.put_nowait(chat)
    preview = LinkPreviewOptions(is_disabled=True)  # built once, as the outbox's sender does

    async def worker() -> None:
        while not queue.empty():
            chat = queue.get_nowait()
            await bot.send_message(
                chat_id=chat,
                text=f"Ответ {chat}",
                parse_mode="HTML",
                link_preview_options=preview,
            )

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(WORKERS)))
    return len(chats) / (time.perf_counter() - started), time.process_time() - cpu


async def outbox_run(
    settings: Settings, db: Database, chats: list[int], platform: Platform
) -> tuple[float, float, dict[str, int]]:
    """Enqueue one message per chat, then drain them: messages/s, this process's CPU
    seconds meanwhile, and the rows' states. Timed until every row is recorded:
    the fake's request counter (read in memory, or over its control API when it runs
    apart) says when the calls are in, then rows are
    counted per state until none waits (polling the database all along would slow the
    run it measures)."""
    run = next(RUNS)
    await enqueue_many(
        db,
        (
            OutboxMessage(
                "telegram",
                OutboxAction.SEND,
                str(c),
                message(from_plain(f"Ответ {c}")),
                ref_type="bench",
                ref_id=run,
            )
            for c in chats
        ),
    )

    async def done() -> RefCounts | None:
        async with db.read() as conn:
            counts = await count_by_ref(conn, "bench", run)
        waiting = counts.total(OutboxState.PENDING) + counts.total(OutboxState.SENDING)
        return counts if waiting == 0 else None

    calls = await platform.requests() + len(chats)

    async def calls_in() -> bool:
        return await platform.requests() >= calls

    async with running_outbox(db, settings, ["telegram"]):
        # Timed from the dispatcher's start, as the bare bot is timed once it is made.
        started, cpu = time.perf_counter(), time.process_time()
        await wait(calls_in, 3600, interval=0.02)
        counts = await wait(done, 3600, interval=0.01)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    states = {state.value: n for (_, state), n in counts.states.items()}
    return len(chats) / elapsed, cpu, states


async def writer(db: Database, stop: asyncio.Event) -> tuple[float, float]:
    """Small write transactions until ``stop``: their rate and the longest one (seconds)."""
    done, longest = 0, 0.0
    started = time.perf_counter()
    while not stop.is_set():
        began = time.perf_counter()
        async with db.write() as conn:
            await store.enqueue(
                conn, OutboxMessage("telegram", OutboxAction.SEND, "1", {"text": "ответ"})
            )
        longest = max(longest, time.perf_counter() - began)
        done += 1
        await asyncio.sleep(0)
    return done / (time.perf_counter() - started), longest


async def enqueue_run(db: Database, rows: int) -> None:
    stop = asyncio.Event()
    alone = asyncio.create_task(writer(db, stop))
    await asyncio.sleep(2)
    stop.set()
    idle_rate, idle_longest = await alone
    stop = asyncio.Event()
    during = asyncio.create_task(writer(db, stop))
    notice = message(from_plain("Отключение воды 1 декабря с 9:00 до 18:00"))
    started = time.perf_counter()
    added = await enqueue_many(
        db,
        (
            OutboxMessage(
                "telegram",
                OutboxAction.SEND,
                str(1_000_000 + n),
                notice,
                ref_type="bench-alert",
                ref_id=1,
                lane=Lane.BROADCAST,
                dedupe_key=f"bench-alert:1:{n}",
            )
            for n in range(rows)
        ),
    )
    elapsed = time.perf_counter() - started
    stop.set()
    busy_rate, busy_longest = await during
    print(f"enqueue of a {rows}-row broadcast (SQLite, batches of {BATCH}):")
    print(f"  enqueue            {added / elapsed:8.0f} rows/s  ({elapsed:.1f} s)")
    print(f"  other writer alone {idle_rate:8.0f} tx/s  longest {idle_longest * 1000:.0f} ms")
    print(f"  during the enqueue {busy_rate:8.0f} tx/s  longest {busy_longest * 1000:.0f} ms")


async def limits_off(messages: int, rounds: int, where: str) -> None:
    """The outbox against the bare bot, limits off, in alternating rounds of one run.

    Each run writes to chats of its own (the fake keeps what each chat got), and the two
    take turns going first: whichever goes second in a round runs slower (measured: the
    bare bot ~15 % right after the outbox), so with an even number of rounds each side
    has as many first runs as second ones, and the medians compare like with like.
    """
    start = platform_here if where == "here" else platform_apart
    # As the app does once started (bots.heap): else a full collection walks every module
    # loaded, a ~180 ms pause that lands in whichever run is going (measured: the outbox's).
    gc.collect()
    gc.freeze()
    with tempfile.TemporaryDirectory() as tmp:
        async with start() as platform:
            await compare(platform, Path(tmp), messages, rounds, where)


async def compare(platform: Platform, tmp: Path, messages: int, rounds: int, where: str) -> None:
    fresh = itertools.count(800000)
    fast = {
        "outbox": {
            "telegram_global_per_second": 100000,
            "telegram_private_per_second": 1000,
            "telegram_private_burst": 1000,
            "workers": WORKERS,
            "poll_interval": 0.05,
        }
    }
    settings = settings_for(tmp, tg=platform, overrides=fast)
    db = Database(f"sqlite+aiosqlite:///{tmp}/fast-{where}.db")
    await upgrade(db)
    rates: dict[str, list[float]] = {"bare": [], "outbox": []}
    cpu: dict[str, list[float]] = {"bare": [], "outbox": []}
    place = "in this process" if where == "here" else "in a process of its own"
    print(f"limits off, the fake {place}: {messages} messages a run, {WORKERS} workers:")
    for round_ in range(rounds):
        chats = {side: [next(fresh) for _ in range(messages)] for side in rates}
        await platform.add_users([*chats["bare"], *chats["outbox"]])
        for side in ("bare", "outbox") if round_ % 2 == 0 else ("outbox", "bare"):
            rate, seconds = await one_side(side, settings, db, chats[side], platform)
            rates[side].append(rate)
            cpu[side].append(seconds / messages * 1e6)
        bare, outbox = rates["bare"][-1], rates["outbox"][-1]
        print(
            f"  round {round_ + 1}: bare {bare:7.1f} msg/s, "
            f"outbox {outbox:7.1f} msg/s ({outbox / bare:.0%}); CPU per message: "
            f"bare {cpu['bare'][-1]:.0f} µs, outbox {cpu['outbox'][-1]:.0f} µs"
        )
    await db.dispose()
    bare, rate = statistics.median(rates["bare"]), statistics.median(rates["outbox"])
    print(f"  bare aiogram bot   {bare:8.1f} msg/s  (median)")
    print(f"  outbox (SQLite)    {rate:8.1f} msg/s  (median; {rate / bare:.0%} of bare)")
    bare_cpu, outbox_cpu = statistics.median(cpu["bare"]), statistics.median(cpu["outbox"])
    print(
        f"  CPU per message    bare {bare_cpu:.0f} µs, outbox {outbox_cpu:.0f} µs "
        f"(medians; bare / outbox {bare_cpu / outbox_cpu:.2f})"
    )


async def one_side(
    side: str, settings: Settings, db: Database, chats: list[int], platform: Platform
) -> tuple[float, float]:
    """One side's messages/s and CPU seconds."""
    if side == "bare":
        bot = make_bot(settings.telegram)
        try:
            return await bare_bot(bot, chats)
        finally:
            await bot.session.close()
    rate, cpu, states = await outbox_run(settings, db, chats, platform)
    assert states == {OutboxState.SENT.value: len(chats)}, states
    return rate, cpu


async def main(messages: int, limited: int, rows: int, rounds: int, fake: str) -> None:
    if messages:
        for where in ("here", "apart") if fake == "both" else (fake,):
            await limits_off(messages, rounds, where)
    if limited:
        await limits_on(limited)
    if rows:
        with tempfile.TemporaryDirectory() as tmp:
            db = Database(f"sqlite+aiosqlite:///{tmp}/enqueue.db")
            await upgrade(db)
            await enqueue_run(db, rows)
            await db.dispose()


async def limits_on(limited: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, FakeTelegram(limits=True) as tg:
        chats = list(range(900000, 900000 + limited))
        for chat in chats:
            tg.add_user(chat, "Житель")
        settings = settings_for(Path(tmp), tg=tg, overrides={"outbox": {"poll_interval": 0.05}})
        db = Database(f"sqlite+aiosqlite:///{tmp}/limited.db")
        await upgrade(db)
        platform = Platform(tg.base_url, tg.token, fake=tg)
        rate, _, states = await outbox_run(settings, db, chats, platform)
        await db.dispose()
        stats = tg.stats()
        limit = settings.outbox.telegram_global_per_second
        print(f"limits on, {limited} messages to {limited} private chats:")
        share = rate / limit
        print(f"  outbox             {rate:8.1f} msg/s  ({share:.0%} of the {limit:.0f}/s limit)")
        print(f"  429s from the fake {stats['too_many_requests']}, rows {states}")
        assert states.get(OutboxState.FAILED.value, 0) == 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--limited", type=int, default=1000)
    parser.add_argument("--enqueue", type=int, default=100_000)
    parser.add_argument(
        "--rounds",
        type=int,
        default=4,
        help="of the limits-off comparison (even: each side goes first as often)",
    )
    parser.add_argument(
        "--fake",
        choices=("here", "apart", "both"),
        default="both",
        help="where the limits-off fake runs: this process, its own, or each in turn",
    )
    args = parser.parse_args()
    asyncio.run(main(args.messages, args.limited, args.enqueue, args.rounds, args.fake))
