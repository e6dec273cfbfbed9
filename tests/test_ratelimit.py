"""Sliding-window pacing, on a fake clock: no sleeping for real."""

from __future__ import annotations

import asyncio

import pytest

from shared.outbox.ratelimit import Rate, RateKey, RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()

    async def fake_sleep(seconds: float) -> None:
        c.now += seconds

    monkeypatch.setattr("shared.outbox.ratelimit.asyncio.sleep", fake_sleep)
    return c


async def test_never_more_than_limit_in_any_window(clock: Clock) -> None:
    limiter = RateLimiter(margin=0.0, clock=clock)
    key = RateKey("group", Rate.per_minute(20))
    times = []
    for _ in range(45):
        await limiter.acquire([key])
        times.append(clock.now)
    for i, start in enumerate(times):
        inside = [t for t in times[i:] if t < start + 60.0]
        assert len(inside) <= 20
    assert times[-1] < 130


async def test_private_chat_burst_then_one_per_second(clock: Clock) -> None:
    limiter = RateLimiter(margin=0.0, clock=clock)
    key = RateKey("chat", Rate.per_second(1, burst=3))
    times = []
    for _ in range(6):
        await limiter.acquire([key])
        times.append(round(clock.now, 2))
    assert times[:3] == [0, 0, 0]
    assert times[3] >= 3.0


async def test_block_honours_retry_after(clock: Clock) -> None:
    limiter = RateLimiter(margin=0.0, clock=clock)
    key = RateKey("chat", Rate.per_second(30, burst=30))
    limiter.block("chat", 7)
    waited = await limiter.acquire([key])
    assert waited >= 7


async def test_cost_larger_than_limit_still_passes(clock: Clock) -> None:
    limiter = RateLimiter(margin=0.0, clock=clock)
    key = RateKey("chat", Rate.per_second(1, burst=3))
    await asyncio.wait_for(limiter.acquire([key], cost=10), 1)


async def test_a_slot_counts_from_when_its_call_landed(clock: Clock) -> None:
    """The platform counted the call somewhere between its start and its answer: the next
    call past the limit waits a whole window from the answer, not from the start."""
    limiter = RateLimiter(margin=0.0, clock=clock)
    key = RateKey("token", Rate.per_second(2, burst=2))
    await limiter.acquire([key])  # t = 0
    await limiter.acquire([key])  # t = 0
    clock.now = 0.4  # the second call's answer came back at 0.4 s
    limiter.landed([key])
    await limiter.acquire([key])  # the first slot (0 s) leaves the window at 1 s
    assert clock.now == pytest.approx(1.005)
    await limiter.acquire([key])  # the second one at 1.4 s, not at 1 s
    assert clock.now == pytest.approx(1.405)


async def test_landed_without_a_slot_changes_nothing(clock: Clock) -> None:
    limiter = RateLimiter(margin=0.0, clock=clock)
    key = RateKey("token", Rate.per_second(1, burst=1))
    limiter.landed([key])  # this task took no slot
    await limiter.acquire([key])
    assert clock.now == 0
