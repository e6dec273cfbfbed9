"""Publishing latency and throughput against the fake Telegram and VK servers, limits on.

1. Latency: ``--posts`` posts (default 50), due ``--spacing`` seconds apart (default 3.2 s,
   so the channel's 20-a-minute pacing never has to hold one back). For each: seconds from
   its due time until both the fake channel and the fake wall hold it; median and p95.
2. Burst: ``--burst`` posts (default 100) due at the same second. The channel's rate as a
   share of the configured limit (``GLASHATAI_OUTBOX__TELEGRAM_GROUP_PER_MINUTE``, a
   sliding window the fake enforces with the same figure): the fastest first-to-last time
   the window allows divided by the measured one; how many 429s the fakes returned and
   how many rows ended ``failed``.

The real app runs in-process (``App``: outbox, scheduler, planners, both platforms); posts
are created through ``shared.posts.service.create_post`` as the CLI does. No admin chat is
configured, so the admin-chat previews do not share the bot's global budget.

MAX rows (``--only max``): the same latency with posts ``--max-spacing`` seconds apart, and
the burst's pace as a share of MAX's 30 requests/s per bot (the fake enforces it as a
sliding one-second window; our pacing is ``GLASHATAI_OUTBOX__MAX_PER_SECOND``): the fastest
first-to-last time that window allows divided by the measured one, with the 429s and the
rows that ended ``failed``.

Run: python -m bench.bench_publish [--posts 50] [--spacing 3.2] [--burst 100] [--only max]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from bots.app import App
from shared.clock import utcnow
from shared.domain import OutboxState
from shared.outbox import store
from shared.posts import service
from shared.richtext import from_plain
from simulators.max import FakeMax
from simulators.telegram import FakeTelegram, LimitConfig
from simulators.vk import FakeVK
from tests.harness import CHANNEL_ID, prepare_telegram, settings_for


def build(tmp: Path, tg: FakeTelegram, vk: FakeVK, per_minute: float) -> App:
    settings = settings_for(
        tmp,
        tg,
        vk,
        overrides={
            "telegram": {"admin_chat_id": None},
            "publishing": {"quiet_hours_start": None, "quiet_hours_end": None},
            "scheduler": {"sync_seconds": 5},
            "outbox": {"telegram_group_per_minute": per_minute},
            "log_level": "WARNING",
        },
    )
    return App(settings)


def holders(tg: FakeTelegram, vk: FakeVK) -> tuple[dict[str, float], dict[str, float]]:
    now = time.time()
    channel = {m.get("text") or "": now for m in tg.messages(CHANNEL_ID)}
    wall = {p["message"]: now for p in vk.wall_posts()}
    return channel, wall


async def latency(posts: int, spacing: float, per_minute: float) -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory() as tmp,
        FakeTelegram(limit_config=LimitConfig(group_limit=int(per_minute))) as tg,
        FakeVK() as vk,
    ):
        prepare_telegram(tg)
        app = build(Path(tmp), tg, vk, per_minute)
        await app.start()
        try:
            first = utcnow() + timedelta(seconds=5)
            due: dict[str, float] = {}
            for n in range(posts):
                text = f"Пресс-релиз для замера №{n}."
                at = first + timedelta(seconds=n * spacing)
                await service.create_post(
                    app.services, body=from_plain(text), at=at, created_by="bench"
                )
                due[text] = at.timestamp()
            seen_tg: dict[str, float] = {}
            seen_vk: dict[str, float] = {}
            deadline = time.time() + posts * spacing + 120
            while len(seen_tg) < posts or len(seen_vk) < posts:
                if time.time() > deadline:
                    break
                channel, wall = holders(tg, vk)
                for text, held_at in channel.items():
                    seen_tg.setdefault(text, held_at)
                for text, held_at in wall.items():
                    seen_vk.setdefault(text, held_at)
                await asyncio.sleep(0.02)
            delays = sorted(
                max(seen_tg[t], seen_vk[t]) - due[t] for t in due if t in seen_tg and t in seen_vk
            )
            return {
                "posts": posts,
                "both_held": len(delays),
                "median_s": statistics.median(delays) if delays else None,
                "p95_s": delays[int(len(delays) * 0.95) - 1] if delays else None,
                "max_s": delays[-1] if delays else None,
                "tg_429": tg.stats()["too_many_requests"],
                "vk_rate_limited": vk.stats()["rate_limited"],
            }
        finally:
            await app.stop()


async def burst(posts: int, per_minute: float) -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory() as tmp,
        FakeTelegram(limit_config=LimitConfig(group_limit=int(per_minute))) as tg,
        FakeVK() as vk,
    ):
        prepare_telegram(tg)
        app = build(Path(tmp), tg, vk, per_minute)
        await app.start()
        try:
            at = utcnow() + timedelta(seconds=5)
            for n in range(posts):
                await service.create_post(
                    app.services,
                    body=from_plain(f"Срочная серия, пост №{n}."),
                    at=at,
                    created_by="bench",
                )
            times: list[float] = []
            deadline = time.time() + posts * 60 / per_minute * 1.5 + 60
            while time.time() < deadline:
                count = len(tg.messages(CHANNEL_ID))
                while len(times) < count:
                    times.append(time.time())
                if count >= posts and len(vk.wall_posts()) >= posts:
                    break
                await asyncio.sleep(0.02)
            async with app.services.db.read() as conn:
                counts = await store.counts(conn)
            span = times[-1] - times[0] if len(times) > 1 else 0.0
            rate = (len(times) - 1) / span * 60 if span else 0.0
            # A sliding window of N a minute lets N go at once and N more each minute after:
            # the fastest the limit allows is (ceil(posts / N) - 1) minutes first to last.
            allowed = (math.ceil(posts / per_minute) - 1) * 60.0
            return {
                "posts": posts,
                "channel": len(tg.messages(CHANNEL_ID)),
                "wall": len(vk.wall_posts()),
                "first_after_due_s": times[0] - at.timestamp() if times else None,
                "last_after_due_s": times[-1] - at.timestamp() if times else None,
                "first_to_last_s": span,
                "fastest_the_limit_allows_s": allowed,
                "share_of_limit": allowed / span if span else None,
                "channel_per_minute_overall": rate,
                "tg_429": tg.stats()["too_many_requests"],
                "vk_rate_limited": vk.stats()["rate_limited"],
                "failed_rows": counts.get(OutboxState.FAILED.value, 0),
            }
        finally:
            await app.stop()


# --- MAX: the channel alone, its 30 requests/s per bot -----------------------------------

MAX_LIMIT = 30.0  # requests per second per bot, as MAX documents it and the fake enforces


def build_max(tmp: Path, fake: FakeMax) -> App:
    settings = settings_for(
        tmp,
        overrides={
            "max": {
                "token": fake.token,
                "api_base": fake.base_url,
                "channel_id": fake.channel_id,
                "longpoll_timeout": 5,
            },
            "publishing": {"quiet_hours_start": None, "quiet_hours_end": None},
            "scheduler": {"sync_seconds": 5},
            "log_level": "WARNING",
        },
    )
    return App(settings)


async def max_latency(posts: int, spacing: float) -> dict[str, Any]:
    """Seconds from each post's due time until the fake MAX channel holds it."""
    with tempfile.TemporaryDirectory() as tmp, FakeMax() as fake:
        app = build_max(Path(tmp), fake)
        await app.start()
        try:
            first = utcnow() + timedelta(seconds=5)
            due: dict[str, float] = {}
            for n in range(posts):
                text = f"Пресс-релиз для замера №{n}."
                at = first + timedelta(seconds=n * spacing)
                await service.create_post(
                    app.services, body=from_plain(text), at=at, created_by="bench"
                )
                due[text] = at.timestamp()
            seen: dict[str, float] = {}
            deadline = time.time() + posts * spacing + 120
            while len(seen) < posts and time.time() < deadline:
                now = time.time()
                for message in fake.channel_messages():
                    seen.setdefault(message["text"], now)
                await asyncio.sleep(0.02)
            delays = sorted(seen[t] - due[t] for t in due if t in seen)
            return {
                "posts": posts,
                "held": len(delays),
                "median_s": statistics.median(delays) if delays else None,
                "p95_s": delays[int(len(delays) * 0.95) - 1] if delays else None,
                "max_s": delays[-1] if delays else None,
                "max_429": fake.stats().get("rate_limited", 0),
            }
        finally:
            await app.stop()


async def max_burst(posts: int) -> dict[str, Any]:
    """``posts`` due at the same second: the channel's pace as a share of MAX's 30/s."""
    with tempfile.TemporaryDirectory() as tmp, FakeMax() as fake:
        app = build_max(Path(tmp), fake)
        await app.start()
        try:
            # Far enough ahead that all are stored before the scheduler's sync releases them.
            at = utcnow() + timedelta(seconds=15)
            for n in range(posts):
                await service.create_post(
                    app.services,
                    body=from_plain(f"Срочная серия, пост №{n}."),
                    at=at,
                    created_by="bench",
                )
            deadline = time.time() + 120
            while len(fake.channel_messages()) < posts and time.time() < deadline:
                await asyncio.sleep(0.02)
            await asyncio.sleep(1.0)  # let the last rows' outcomes be recorded
            sends = [c for c in fake.calls("sendMessage") if c["status"] == 200]
            times = sorted(c["time"] for c in sends)
            async with app.services.db.read() as conn:
                counts = await store.counts(conn)
            span = times[-1] - times[0] if len(times) > 1 else 0.0
            # A sliding one-second window of N lets N go at once and N more each second.
            allowed = (math.ceil(len(times) / MAX_LIMIT) - 1) * 1.0
            per_second = (len(times) - 1) / span if span else 0.0
            return {
                "posts": posts,
                "channel": len(fake.channel_messages()),
                "first_after_due_s": times[0] - at.timestamp() if times else None,
                "first_to_last_s": span,
                "sends_per_second_overall": per_second,
                "fastest_the_limit_allows_s": allowed,
                "share_of_max_limit": allowed / span if span else None,
                "max_429": fake.stats().get("rate_limited", 0),
                "failed_rows": counts.get(OutboxState.FAILED.value, 0),
            }
        finally:
            await app.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--posts", type=int, default=50)
    parser.add_argument("--spacing", type=float, default=3.2)
    parser.add_argument("--burst", type=int, default=100)
    parser.add_argument("--per-minute", type=float, default=20.0, help="channel limit")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument(
        "--only", choices=["all", "telegram-vk", "max"], default="all", help="which rows"
    )
    parser.add_argument("--max-spacing", type=float, default=0.5, help="MAX latency spacing")
    args = parser.parse_args()
    if args.only in ("all", "telegram-vk"):
        if not args.skip_latency:
            print("latency:", asyncio.run(latency(args.posts, args.spacing, args.per_minute)))
        if args.burst:
            print("burst:", asyncio.run(burst(args.burst, args.per_minute)))
    if args.only in ("all", "max"):
        if not args.skip_latency:
            print("max latency:", asyncio.run(max_latency(args.posts, args.max_spacing)))
        if args.burst:
            print("max burst:", asyncio.run(max_burst(args.burst)))


if __name__ == "__main__":
    main()
