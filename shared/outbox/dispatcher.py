"""The delivery engine: drains the outbox, paced, retried, exactly once or marked unknown.

Each send may take several platform calls (an album, then the text in two parts). The
sender runs each call through :meth:`Delivery.step`, which records the call as in flight
before making it and its result after: a resumed send skips finished steps, and a crash
in the middle of a call leaves the row ``unknown`` rather than sending it twice. Sends
that the platform itself de-duplicates (VK's ``random_id`` and ``guid``) are resumed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any, Protocol, TypeVar

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection

from config.settings import OutboxSettings
from shared.clock import utcnow
from shared.domain import OutboxState
from shared.logs import redact
from shared.outbox import store
from shared.outbox.model import OutboxItem
from shared.outbox.outcomes import (
    HoldForAction,
    OutcomeUnknown,
    PermanentFailure,
    RetryLater,
    TransientFailure,
)
from shared.outbox.ratelimit import RateKey, RateLimiter
from shared.storage.engine import Database
from shared.storage.schema import citizens

log = logging.getLogger(__name__)

T = TypeVar("T")
INFLIGHT = "_inflight"
Hook = Callable[[AsyncConnection, OutboxItem], Awaitable[None]]


class Sender(Protocol):
    """A platform's half of the outbox: turns a neutral row into platform calls."""

    platform: str

    def idempotent(self, item: OutboxItem) -> bool:
        """True when repeating the send can't duplicate it (the platform de-duplicates)."""
        ...

    async def deliver(self, item: OutboxItem, delivery: Delivery) -> dict[str, Any]:
        """Make the calls through ``delivery.step``; return what to keep as the result."""
        ...


class Delivery:
    """One attempt at one row: pacing and the step journal."""

    def __init__(self, dispatcher: Dispatcher, item: OutboxItem) -> None:
        self.dispatcher = dispatcher
        self.item = item
        self.inflight = False

    @property
    def progress(self) -> dict[str, Any]:
        return self.item.progress

    async def step(
        self,
        name: str,
        call: Callable[[], Awaitable[T]],
        *,
        rates: Sequence[RateKey] = (),
        cost: int = 1,
    ) -> T:
        """Run one platform call once: a finished step returns its recorded result.

        The step is written down as in flight before the call. Its result is written with
        the next step's mark, or with the row's final state: a crash before either leaves
        the step in flight, which is exactly what is known about it.
        """
        if name in self.item.progress:
            return self.item.progress[name]  # type: ignore[no-any-return]
        await self.dispatcher.limiter.acquire(rates, cost)
        self.item.progress[INFLIGHT] = name
        await self.dispatcher.save_progress(self.item)
        self.inflight = True
        try:
            result = await call()
        except OutcomeUnknown:
            raise
        except BaseException:
            self.inflight = False
            self.item.progress.pop(INFLIGHT, None)
            raise
        self.inflight = False
        self.item.progress.pop(INFLIGHT, None)
        self.item.progress[name] = result
        return result


class Dispatcher:
    def __init__(
        self,
        db: Database,
        senders: Mapping[str, Sender],
        settings: OutboxSettings,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.db = db
        self.senders = dict(senders)
        self.settings = settings
        self.limiter = limiter or RateLimiter()
        self.hooks: dict[str, list[Hook]] = {}
        self._wake = asyncio.Event()
        self._stopping = False
        self._active: dict[int, tuple[asyncio.Task[None], tuple[str, str]]] = {}
        self._idle = asyncio.Event()
        self._idle.set()

    def on_outcome(self, ref_type: str, hook: Hook) -> None:
        """Run ``hook`` in the transaction that records a row's final state."""
        self.hooks.setdefault(ref_type, []).append(hook)

    def wake(self) -> None:
        self._wake.set()

    async def save_progress(self, item: OutboxItem) -> None:
        async with self.db.write() as conn:
            await store.save_progress(conn, item.id, item.progress)

    async def recover(self) -> None:
        """Resolve rows a stopped process left in ``sending``. Run once, before ``run``."""
        async with self.db.write() as conn:
            for item in await store.stranded(conn):
                sender = self.senders.get(item.platform)
                inflight = item.progress.get(INFLIGHT)
                if inflight is None or (sender is not None and sender.idempotent(item)):
                    item.progress.pop(INFLIGHT, None)
                    await store.finish(conn, item.id, OutboxState.PENDING, progress=item.progress)
                    log.info("outbox %s: resumed after a restart", item.id)
                else:
                    reason = f"interrupted during {inflight!r}: the platform may have it already"
                    await self._finish(conn, item, OutboxState.UNKNOWN, error=reason)
                    log.warning("outbox %s: outcome unknown after a restart", item.id)

    async def run(self) -> None:
        """Drain the outbox until :meth:`stop`."""
        platforms = list(self.senders)
        while not self._stopping:
            try:
                claimed = await self._claim(platforms)
                if claimed and len(self._active) < self.settings.workers:
                    continue
                await self._sleep(platforms)
            except Exception:
                # The database went away for a moment: nothing is lost, try again shortly.
                log.exception("outbox: dispatch loop error; retrying")
                await asyncio.sleep(self.settings.poll_interval)

    async def _claim(self, platforms: Sequence[str]) -> int:
        free = self.settings.workers - len(self._active)
        if free <= 0 or not platforms:
            return 0
        busy = {dest for _, dest in self._active.values()}
        async with self.db.write() as conn:
            ids = await store.due_destinations(conn, platforms, busy, utcnow(), free)
            items = [item for i in ids if (item := await store.claim(conn, i))]
        for item in items:
            self._start(item)
        return len(items)

    async def _sleep(self, platforms: Sequence[str]) -> None:
        timeout = self.settings.poll_interval
        if platforms and len(self._active) < self.settings.workers:
            async with self.db.read() as conn:
                due = await store.next_due_in(conn, platforms)
            if due is not None:
                timeout = min(timeout, max(due.total_seconds(), 0.01))
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout)

    def _start(self, item: OutboxItem) -> None:
        task = asyncio.create_task(self._process(item), name=f"outbox-{item.id}")
        self._active[item.id] = (task, (item.platform, item.destination))
        self._idle.clear()

        def _done(_: asyncio.Task[None]) -> None:
            self._active.pop(item.id, None)
            if not self._active:
                self._idle.set()
            self._wake.set()

        task.add_done_callback(_done)

    async def stop(self, grace: float = 5.0) -> None:
        """Stop claiming; let sends in flight finish for ``grace`` seconds, then record them."""
        self._stopping = True
        self._wake.set()
        if self._active:
            tasks = [task for task, _ in self._active.values()]
            _, pending = await asyncio.wait(tasks, timeout=grace)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=grace)

    async def idle(self) -> None:
        await self._idle.wait()

    async def _process(self, item: OutboxItem) -> None:
        sender = self.senders[item.platform]
        delivery = Delivery(self, item)
        try:
            result = await sender.deliver(item, delivery)
        except asyncio.CancelledError:
            await asyncio.shield(self._interrupted(item, delivery, sender))
            raise
        except RetryLater as exc:
            if exc.scope:
                self.limiter.block(exc.scope, exc.retry_after)
            await self._retry(item, exc.reason, exc.retry_after, counts=False)
        except TransientFailure as exc:
            await self._retry(item, exc.reason, None, counts=True)
        except PermanentFailure as exc:
            await self._fail(item, exc.reason, unreachable=exc.unreachable)
        except OutcomeUnknown as exc:
            await self._record(item, OutboxState.UNKNOWN, error=exc.reason)
        except HoldForAction as exc:
            item.progress["hold"] = {"kind": exc.kind, **exc.data}
            await self._record(item, OutboxState.HELD, error=exc.reason)
        except Exception as exc:
            log.exception("outbox %s: unexpected error in the %s sender", item.id, item.platform)
            await self._retry(item, f"internal error: {type(exc).__name__}", None, counts=True)
        else:
            item.progress.pop(INFLIGHT, None)
            await self._record(item, OutboxState.SENT, result=result)

    async def _interrupted(self, item: OutboxItem, delivery: Delivery, sender: Sender) -> None:
        if delivery.inflight and not sender.idempotent(item):
            await self._record(item, OutboxState.UNKNOWN, error="stopped while the call was out")
        else:
            item.progress.pop(INFLIGHT, None)
            async with self.db.write() as conn:
                await store.finish(conn, item.id, OutboxState.PENDING, progress=item.progress)

    def _backoff(self, attempts: int) -> float:
        base = self.settings.backoff_base * (2 ** max(0, attempts - 1))
        jitter: float = random.uniform(0.8, 1.2)
        return float(min(self.settings.backoff_max, base)) * jitter

    async def _retry(
        self, item: OutboxItem, reason: str, delay: float | None, *, counts: bool
    ) -> None:
        attempts = item.attempts + 1
        limit = self.settings.max_attempts * (1 if counts else 4)
        if attempts >= limit:
            await self._fail(item, f"gave up after {attempts} attempts: {reason}")
            return
        wait = delay if delay is not None else self._backoff(attempts)
        log.info("outbox %s: retry in %.1fs (%s)", item.id, wait, redact(reason))
        item.progress.pop(INFLIGHT, None)
        async with self.db.write() as conn:
            await store.finish(
                conn,
                item.id,
                OutboxState.PENDING,
                error=redact(reason),
                attempts=attempts,
                next_attempt_at=utcnow() + timedelta(seconds=wait),
                progress=item.progress,
            )

    async def _fail(self, item: OutboxItem, reason: str, *, unreachable: bool = False) -> None:
        log.warning("outbox %s: failed: %s", item.id, redact(reason))
        async with self.db.write() as conn:
            if unreachable and item.citizen_id is not None:
                await conn.execute(
                    update(citizens).where(citizens.c.id == item.citizen_id).values(reachable=False)
                )
            await self._finish(
                conn, item, OutboxState.FAILED, error=reason, unreachable=unreachable
            )

    async def _record(
        self,
        item: OutboxItem,
        state: OutboxState,
        *,
        result: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        async with self.db.write() as conn:
            await self._finish(conn, item, state, result=result, error=error)

    async def _finish(
        self,
        conn: AsyncConnection,
        item: OutboxItem,
        state: OutboxState,
        *,
        result: dict[str, Any] | None = None,
        error: str | None = None,
        unreachable: bool = False,
    ) -> None:
        error = redact(error) if error else None
        if unreachable:
            item.progress["unreachable"] = True
        await store.finish(conn, item.id, state, result=result, error=error, progress=item.progress)
        item.state, item.error = state, error
        if result is not None:
            item.result = result
        for hook in self.hooks.get(item.ref_type or "", []):
            await hook(conn, item)
