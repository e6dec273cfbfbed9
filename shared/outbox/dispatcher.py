"""The delivery engine: drains the outbox, paced, retried, exactly once or marked unknown.

Each send may take several platform calls (an album, then the text in two parts). The
sender runs each call through :meth:`Delivery.step`, which records the call as in flight
before making it and its result after: a resumed send skips finished steps, and a crash
in the middle of a call leaves the row ``unknown`` rather than sending it twice. Sends
that the platform itself de-duplicates (VK's ``random_id`` and ``guid``) are resumed.

Lanes (:mod:`shared.outbox.lanes`): rows are claimed best lane first; broadcast rows never
hold the workers kept for the interactive lane, and in the rate limiter they wait while an
interactive send waits for the same key, so they use what the interactive lane leaves.

Groups: a sender that can carry many rows in one call (VK ``messages.send`` with
``peer_ids``) implements :class:`BatchSender`; the dispatcher then claims up to
``batch_limit`` rows of the same send to other people together and hands them over at once.

The journal costs one transaction per step for a lone send; concurrent sends share it: the
in-flight marks of sends starting together are committed together (each call waits until
its own mark is durable) and so are their outcomes (:class:`GroupCommit`), and so are the
claims. Rows are claimed ahead of the workers (:mod:`shared.outbox.workers`), so that a
send's only commit before its call is its in-flight mark: a claimed row waiting for a
worker carries no mark, and a restart (or :meth:`Dispatcher.stop`) puts it back.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol, TypeVar

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection

from config.settings import OutboxSettings
from shared.clock import utcnow
from shared.delivered import Delivered
from shared.domain import OutboxAction, OutboxState
from shared.logs import redact
from shared.outbox import store
from shared.outbox.lanes import Lane
from shared.outbox.model import OutboxItem
from shared.outbox.outcomes import (
    DeliveryError,
    HoldForAction,
    OutcomeUnknown,
    PermanentFailure,
    RetryLater,
    TransientFailure,
)
from shared.outbox.ratelimit import RateKey, RateLimiter
from shared.outbox.workers import Workers
from shared.storage.engine import Database
from shared.storage.groupcommit import GroupCommit

log = logging.getLogger(__name__)

T = TypeVar("T")
INFLIGHT = store.INFLIGHT
INFLIGHT_REPEATABLE = store.INFLIGHT_REPEATABLE
HOOKS_PENDING = store.HOOKS_PENDING
Hook = Callable[[AsyncConnection, OutboxItem], Awaitable[None]]
# Asked before a row is retried: is it still wanted? A feature that called its record off
# while the row's call was out (a post deleted mid-send) answers False.
Wanted = Callable[[AsyncConnection, OutboxItem], Awaitable[bool]]
Work = Callable[[AsyncConnection], Awaitable[None]]
# Told, inside the transaction that records the failure, of a person the platform says
# can't be written to (blocked the bot): the citizens' repository keeps that, not the outbox.
Unreachable = Callable[[AsyncConnection, int], Awaitable[None]]
RECORD_RETRY_FIRST = 0.05  # seconds before recording again after a transient database error
RECORD_RETRY_MAX = 5.0
STOP_RECORDING_GRACE = 2.0  # seconds stop() waits for interrupted rows to be recorded
JOURNAL_GROUP = 256  # rows' journal writes that share one transaction at most
BROADCAST_CALLS_OUT = 1  # per platform, of a broadcast the platform does not de-duplicate
RECORDING_PER_WORKER = 4  # outcomes waiting to be written, per worker, before claiming waits
AHEAD = 4  # claimed rows per worker, counting those being sent; the rest wait for a worker


class Sender(Protocol):
    """A platform's half of the outbox: turns a neutral row into platform calls."""

    platform: str

    def idempotent(self, item: OutboxItem) -> bool:
        """True when repeating the send can't duplicate it (the platform de-duplicates)."""
        ...

    async def deliver(self, item: OutboxItem, delivery: Delivery) -> Delivered:
        """Make the calls through ``delivery.step``; return what they made on the platform.

        The outbox stores it (serialised) as the row's result, for the features to read.
        """
        ...


# What a batch send says of one of its rows: what it delivered, or why that row failed.
RowOutcome = Delivered | DeliveryError


class BatchSender(Sender, Protocol):
    """A sender that carries several rows in one call (VK ``messages.send`` with ``peer_ids``).

    The dispatcher groups rows that are the same send to other people: same platform,
    action, lane, priority, record (``ref_type``/``ref_id``) and payload, one row per
    destination. Each row keeps its own state and result, so a person's send is still
    exactly once or ``unknown``.
    """

    def batch_limit(self, item: OutboxItem) -> int:
        """How many rows like ``item`` one call may carry; 1 sends it alone via ``deliver``."""
        ...

    async def deliver_batch(
        self, items: Sequence[OutboxItem], delivery: Delivery
    ) -> Mapping[int, RowOutcome]:
        """Send ``items`` (1 to ``batch_limit`` rows) through ``delivery.step``.

        A step marks every row of the group in flight before its call (a crash then leaves
        each ``unknown``, or resumes it when ``idempotent``). Step results are not kept for
        groups: only the last step may be visible to people; earlier ones (an upload) are
        made again when the group is retried. Return, per row id, what reached the row's
        recipient (:class:`Delivered`) or a :class:`DeliveryError` for that row alone (a
        recipient who blocked the bot: ``PermanentFailure(..., unreachable=True)``); a row
        missing from the answer is recorded ``unknown``. Raise a ``DeliveryError`` for what
        befell the whole call.
        """
        ...


def batch_limit(sender: Sender, item: OutboxItem) -> int:
    """How many rows like ``item`` the sender carries in one call (1 unless it batches)."""
    limit = getattr(sender, "batch_limit", None)
    return max(1, int(limit(item))) if limit is not None else 1


class Delivery:
    """One attempt at one row, or at a group of rows sent in one call: pacing and the
    step journal."""

    def __init__(
        self, dispatcher: Dispatcher, item: OutboxItem, group: Sequence[OutboxItem] = ()
    ) -> None:
        self.dispatcher = dispatcher
        self.item = item
        self.items = list(group) or [item]
        self.grouped = bool(group)
        self.started = False  # a worker took it: before that it waits, claimed, unmarked
        self.inflight = False
        self.inflight_repeatable = False  # the call out is one that may be made again
        self.recording = False
        self.so_far: Delivered | None = None  # what the send has made, as its sender said

    def made(self, delivered: Delivered) -> None:
        """The sender says what the send has made on the platform so far.

        Kept as the row's result if the send then fails, is called off or ends unknown,
        so that its feature knows which messages are out (to delete them, or to finish
        the send with a new row that skips them). Only for single rows.
        """
        if not self.grouped:
            self.so_far = delivered

    @property
    def partial(self) -> dict[str, Any] | None:
        """What the send made, as a row's stored result; None when it made nothing."""
        made = self.so_far
        return made.to_dict() if made is not None and made.ids() else None

    @property
    def progress(self) -> dict[str, Any]:
        return self.item.progress

    @property
    def lane(self) -> Lane:
        return self.item.lane

    async def step(
        self,
        name: str,
        call: Callable[[], Awaitable[T]],
        *,
        rates: Sequence[RateKey] = (),
        cost: int = 1,
        repeatable: bool = False,
    ) -> T:
        """Run one platform call once: a finished step returns its recorded result.

        The step is written down as in flight before the call. Its result is written with
        the next step's mark, or with the row's final state: a crash before either leaves
        the step in flight, which is exactly what is known about it. So does a call that is
        cancelled or times out: the request may have reached the platform.

        ``repeatable``: a call nobody sees, which may simply be made again (an upload):
        one cut off without an answer fails for now and is retried, and a restart or a
        stop while it is out puts the row back to ``pending``, never ``unknown``.
        """
        if not self.grouped and name in self.item.progress:
            return self.item.progress[name]  # type: ignore[no-any-return]
        async with self.dispatcher.gate(self):
            await self.dispatcher.limiter.acquire(rates, cost, self.lane)
            out_at = time.time()
            for item in self.items:
                item.progress[INFLIGHT] = name
                item.progress[store.INFLIGHT_AT] = out_at
                if repeatable:
                    item.progress[INFLIGHT_REPEATABLE] = True
            await self.dispatcher.save_progress(*self.items)
            self.inflight, self.inflight_repeatable = True, repeatable
            try:
                result = await call()
            except OutcomeUnknown as exc:
                if not repeatable:
                    raise
                self._landed()
                raise TransientFailure(f"{exc.reason} (an invisible step: made again)") from None
            except asyncio.CancelledError:
                raise
            except BaseException:
                self._landed()
                raise
            finally:
                self.dispatcher.limiter.landed(rates, cost)
            self._landed()
        if not self.grouped:
            self.item.progress[name] = result
        return result

    def _landed(self) -> None:
        self.inflight = self.inflight_repeatable = False
        for item in self.items:
            store.clear_inflight(item.progress)


@dataclass
class Active:
    """A row (or a group) being sent: its task, its destinations (busy meanwhile) and its
    attempt."""

    task: asyncio.Task[None]
    destinations: set[tuple[str, str]]
    delivery: Delivery

    @property
    def broadcast(self) -> bool:
        return self.delivery.lane.broadcast

    @property
    def waiting(self) -> bool:
        """Claimed, waiting for a worker: nothing of it is out yet."""
        return not self.delivery.started

    @property
    def calling(self) -> bool:
        """Holding a worker: its calls are to make or out."""
        return self.delivery.started and not self.delivery.recording


class Dispatcher:
    def __init__(
        self,
        db: Database,
        senders: Mapping[str, Sender],
        settings: OutboxSettings,
        limiter: RateLimiter | None = None,
        on_unreachable: Unreachable | None = None,
    ) -> None:
        self.db = db
        self.senders = dict(senders)
        self.on_unreachable = on_unreachable
        self.settings = settings
        self.limiter = limiter or RateLimiter()
        self.hooks: dict[str, list[Hook]] = {}
        self.wanted: dict[str, Wanted] = {}
        self._wake = asyncio.Event()
        self._stopping = False
        self._active: dict[int, Active] = {}
        self._idle = asyncio.Event()
        self._idle.set()
        self.journal = GroupCommit(db, limit=JOURNAL_GROUP, name="outbox-journal")
        self._gates: dict[str, asyncio.Semaphore] = {}
        self.workers = Workers(settings.workers, self.broadcast_workers)

    def gate(self, delivery: Delivery) -> contextlib.AbstractAsyncContextManager[Any]:
        """What a step waits for before its pacing, mark and call.

        A broadcast's calls that the platform does not de-duplicate go out one at a time
        per platform: a crash then leaves at most one of its rows ``unknown``, not one per
        worker. Its other rows wait here unmarked, so a restart simply sends them.
        """
        item = delivery.item
        if not delivery.lane.broadcast or self.senders[item.platform].idempotent(item):
            return contextlib.nullcontext()
        gate = self._gates.get(item.platform)
        if gate is None:
            gate = self._gates[item.platform] = asyncio.Semaphore(BROADCAST_CALLS_OUT)
        return gate

    @property
    def broadcast_workers(self) -> int:
        """Workers the broadcast lanes may hold: a quarter (at least one) stays interactive."""
        workers = self.settings.workers
        return max(1, workers - max(1, workers // 4)) if workers > 1 else 1

    def on_outcome(self, ref_type: str, hook: Hook) -> None:
        """Run ``hook`` in the transaction that records a row's final state."""
        self.hooks.setdefault(ref_type, []).append(hook)

    def still_wanted(self, ref_type: str, check: Wanted) -> None:
        """Ask ``check`` before retrying a row of ``ref_type``: a row no longer wanted is
        cancelled instead (its hooks run), as a cancel would have done had it been waiting."""
        self.wanted[ref_type] = check

    def wake(self) -> None:
        self._wake.set()

    async def save_progress(self, *items: OutboxItem) -> None:
        """Journal the rows' steps; returns once durable (shared with concurrent sends)."""

        async def work(conn: AsyncConnection) -> None:
            for item in items:
                await store.save_progress(conn, item.id, item.progress)

        await self.journal.run(work)

    async def recover(self) -> None:
        """Resolve rows a stopped process left in ``sending`` and run hooks still owed.

        Run once, before ``run``."""
        async with self.db.read() as conn:
            stranded = await store.stranded(conn)
            owing = await store.owing_hooks(conn)
        for item in stranded:
            sender = self.senders.get(item.platform)
            inflight = item.progress.get(INFLIGHT)
            repeatable = bool(item.progress.get(INFLIGHT_REPEATABLE))
            if inflight is None or repeatable or (sender is not None and sender.idempotent(item)):
                await self._requeue(item)
                log.info("outbox %s: resumed after a restart", item.id)
            else:
                reason = f"interrupted during {inflight!r}: the platform may have it already"
                await self._record(item, OutboxState.UNKNOWN, error=reason)
                log.warning("outbox %s: outcome unknown after a restart", item.id)
        for item in owing:
            if self.hooks.get(item.ref_type or ""):  # else: owed to a feature not running here
                await self._run_owed_hooks(item)

    async def run(self) -> None:
        """Drain the outbox until :meth:`stop`."""
        platforms = list(self.senders)
        while not self._stopping:
            try:
                self._wake.clear()  # before looking: a send ending meanwhile wakes the sleep
                if not self._short():
                    await self._sleep(platforms, look=False)
                    continue
                claimed = await self._claim(platforms)
                if claimed and self._free() > 0:
                    continue
                await self._sleep(platforms)
            except Exception:
                # The database went away for a moment: nothing is lost, try again shortly.
                log.exception("outbox: dispatch loop error; retrying")
                await asyncio.sleep(self.settings.poll_interval)

    def _calling(self) -> list[Active]:
        """Sends claimed and not yet recording: waiting for a worker, or holding one."""
        return [a for a in self._active.values() if not a.delivery.recording]

    def _short(self) -> bool:
        """Time to claim: few claimed sends wait for a worker, or no answer to a person
        does (one may have come due; an answer never waits for the next round)."""
        waiting = [a for a in self._active.values() if a.waiting]
        if len(waiting) <= self.settings.workers or not any(not a.broadcast for a in waiting):
            return self._free() > 0
        return False

    def _free(self) -> int:
        """Rows that may be claimed now: sends to make, those waiting for a worker
        included, stay within ``AHEAD`` per worker. Outcomes being recorded keep their
        destinations busy but not a worker, so their writes pile up and share
        transactions; a bound on them keeps a slow database from taking in ever more."""
        recording = len(self._active) - len(self._calling())
        return min(
            self.settings.workers * AHEAD - len(self._calling()),
            self.settings.workers * RECORDING_PER_WORKER - recording,
        )

    async def _claim(self, platforms: Sequence[str]) -> int:
        free = self._free()
        if free <= 0 or not platforms:
            return 0
        broadcasts = self.broadcast_workers * AHEAD - sum(a.broadcast for a in self._calling())
        busy = {d for active in self._active.values() for d in active.destinations}
        now = utcnow()
        groups: list[tuple[OutboxItem, list[OutboxItem]]] = []

        async def claim(conn: AsyncConnection) -> None:
            taken = set(busy)
            groups.clear()
            ids = await store.due_destinations(conn, platforms, taken, now, free, broadcasts)
            items = await store.claim_many(conn, ids)
            taken |= {(item.platform, item.destination) for item in items}
            forming: dict[Any, list[OutboxItem]] = {}
            for item in items:
                if item.action is OutboxAction.EDIT:
                    await store.aim_edit(conn, item)
                size = batch_limit(self.senders[item.platform], item)
                if size <= 1:
                    groups.append((item, []))
                    continue
                group = forming.get(key := group_key(item))
                if group is not None and len(group) < size:
                    group.append(item)  # one call carries it with the others
                else:
                    forming[key] = group = [item]
                    groups.append((item, group))
            for group in forming.values():
                size = batch_limit(self.senders[group[0].platform], group[0])
                more = await store.claim_group(conn, group[0], size - len(group) + 1, taken, now)
                taken |= {(other.platform, other.destination) for other in more}
                group.extend(more)

        # Shares a transaction with the journal of the sends under way.
        await self.journal.run(claim)
        # Best first: the first started take the free workers.
        groups.sort(key=lambda g: (-g[0].lane.stored(g[0].priority), g[0].id))
        for item, group in groups:
            self._start(item, group)
        return len(groups)

    async def _sleep(self, platforms: Sequence[str], look: bool = True) -> None:
        timeout = self.settings.poll_interval
        if look and platforms and self._free() > 0:
            async with self.db.read() as conn:
                due = await store.next_due_in(conn, platforms)
            if due is not None:
                timeout = min(timeout, max(due.total_seconds(), 0.01))
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):  # no task per wait, unlike wait_for
                await self._wake.wait()

    def _start(self, item: OutboxItem, group: Sequence[OutboxItem] = ()) -> None:
        delivery = Delivery(self, item, group)
        task = asyncio.create_task(self._process(delivery), name=f"outbox-{item.id}")
        destinations = {(one.platform, one.destination) for one in delivery.items}
        self._active[item.id] = Active(task, destinations, delivery)
        self._idle.clear()

        def _done(_: asyncio.Task[None]) -> None:
            self._active.pop(item.id, None)
            if not self._active:
                self._idle.set()
            self._wake.set()
            if not task.cancelled() and (exc := task.exception()) is not None:
                log.error(
                    "outbox %s: its send failed unrecorded; the next start resolves the row",
                    item.id,
                    exc_info=exc,
                )

        task.add_done_callback(_done)

    async def stop(self, grace: float = 5.0) -> None:
        """Stop claiming; let sends finish for ``grace`` seconds, then interrupt the calls.

        An interrupted row is recorded as what is known of it: ``unknown`` when its call
        was out, ``pending`` when it had not started. A row already recording its outcome
        is left to finish: the platform's answer is known and must not be lost.
        """
        self._stopping = True
        self._wake.set()
        for active in list(self._active.values()):
            if active.waiting:
                active.task.cancel()  # claimed, nothing out: back to pending
        if not self._active:
            return
        _, pending = await asyncio.wait([a.task for a in self._active.values()], timeout=grace)
        for active in list(self._active.values()):
            if active.task in pending and not active.delivery.recording:
                active.task.cancel()
        if pending:
            _, late = await asyncio.wait(pending, timeout=max(grace, STOP_RECORDING_GRACE))
            for active in list(self._active.values()):
                if active.task in late:
                    log.warning(
                        "outbox %s: still recording at shutdown; the next start resolves it",
                        [item.id for item in active.delivery.items],
                    )

    async def idle(self) -> None:
        await self._idle.wait()

    async def _process(self, delivery: Delivery) -> None:
        sender = self.senders[delivery.item.platform]
        try:
            await self.workers.take(delivery.lane)
            delivery.started = True
            try:
                outcomes = await self._attempt(sender, delivery)
            finally:
                self.workers.give(delivery.lane)
        except asyncio.CancelledError:
            delivery.recording = True
            await asyncio.gather(
                *(self._interrupted(item, delivery, sender) for item in delivery.items)
            )
            raise
        delivery.recording = True
        self._wake.set()  # its worker is free for the next send
        if len(delivery.items) == 1:
            item = delivery.item
            await self._outcome(item, outcomes[item.id], delivery.partial)  # no task for one
            return
        await asyncio.gather(*(self._outcome(item, outcomes[item.id]) for item in delivery.items))

    async def _attempt(self, sender: Sender, delivery: Delivery) -> dict[int, RowOutcome]:
        """Make the send; return what came of it for each row."""
        item = delivery.item
        try:
            if delivery.grouped:
                answer = await cast_batch(sender).deliver_batch(delivery.items, delivery)
                missing = OutcomeUnknown("the platform's answer did not name this recipient")
                return {one.id: answer.get(one.id, missing) for one in delivery.items}
            return {item.id: await sender.deliver(item, delivery)}
        except DeliveryError as exc:
            return {one.id: exc for one in delivery.items}
        except Exception as exc:
            log.exception("outbox %s: unexpected error in the %s sender", item.id, item.platform)
            internal = TransientFailure(f"internal error: {type(exc).__name__}")
            return {one.id: internal for one in delivery.items}

    async def _outcome(
        self, item: OutboxItem, outcome: RowOutcome, partial: dict[str, Any] | None = None
    ) -> None:
        """Record what came of one row's send; ``partial``: what it had made so far (kept
        as the result of a row that ends without being sent)."""
        if isinstance(outcome, RetryLater):
            if outcome.scope:
                self.limiter.block(outcome.scope, outcome.retry_after)
            await self._retry(item, outcome.reason, outcome.retry_after, counts=False, made=partial)
        elif isinstance(outcome, TransientFailure):
            await self._retry(item, outcome.reason, None, counts=True, made=partial)
        elif isinstance(outcome, PermanentFailure):
            await self._fail(item, outcome.reason, unreachable=outcome.unreachable, made=partial)
        elif isinstance(outcome, HoldForAction):
            item.progress["hold"] = {"kind": outcome.kind, **outcome.data}
            await self._record(item, OutboxState.HELD, error=outcome.reason, result=partial)
        elif isinstance(outcome, DeliveryError):  # OutcomeUnknown, or one we don't know
            await self._record(item, OutboxState.UNKNOWN, error=outcome.reason, result=partial)
        else:
            store.clear_inflight(item.progress)
            await self._record(item, OutboxState.SENT, result=outcome.to_dict())

    async def _interrupted(self, item: OutboxItem, delivery: Delivery, sender: Sender) -> None:
        out = delivery.inflight and not delivery.inflight_repeatable
        if out and not sender.idempotent(item):
            await self._record(
                item,
                OutboxState.UNKNOWN,
                error="stopped while the call was out",
                result=delivery.partial,
            )
        else:
            await self._requeue(item)

    async def _requeue(self, item: OutboxItem) -> None:
        """Back to ``pending`` with the steps done so far: nothing was left half-made."""
        store.clear_inflight(item.progress)
        await self._write(
            item,
            lambda conn: store.finish(conn, item.id, OutboxState.PENDING, progress=item.progress),
        )

    def _backoff(self, attempts: int) -> float:
        base = self.settings.backoff_base * (2 ** max(0, attempts - 1))
        jitter: float = random.uniform(0.8, 1.2)
        return float(min(self.settings.backoff_max, base)) * jitter

    async def _retry(
        self,
        item: OutboxItem,
        reason: str,
        delay: float | None,
        *,
        counts: bool,
        made: dict[str, Any] | None = None,
    ) -> None:
        attempts = item.attempts + 1
        limit = self.settings.max_attempts * (1 if counts else 4)
        if attempts >= limit:
            await self._fail(item, f"gave up after {attempts} attempts: {reason}", made=made)
            return
        if await self._called_off(item):
            log.info("outbox %s: called off while its call was out; not retried", item.id)
            await self._record(item, OutboxState.CANCELLED, error="cancelled", result=made)
            return
        wait = delay if delay is not None else self._backoff(attempts)
        log.info("outbox %s: retry in %.1fs (%s)", item.id, wait, redact(reason))
        store.clear_inflight(item.progress)
        next_attempt_at = utcnow() + timedelta(seconds=wait)
        await self._write(
            item,
            lambda conn: store.finish(
                conn,
                item.id,
                OutboxState.PENDING,
                error=redact(reason),
                attempts=attempts,
                next_attempt_at=next_attempt_at,
                progress=item.progress,
            ),
        )

    async def _called_off(self, item: OutboxItem) -> bool:
        """Did the row's feature call it off while its call was out (see ``still_wanted``)?"""
        check = self.wanted.get(item.ref_type or "")
        if check is None:
            return False
        async with self.db.read() as conn:
            return not await check(conn, item)

    async def _fail(
        self,
        item: OutboxItem,
        reason: str,
        *,
        unreachable: bool = False,
        made: dict[str, Any] | None = None,
    ) -> None:
        """Give the row up; ``made``: what it had made so far, kept as its result."""
        log.warning("outbox %s: failed: %s", item.id, redact(reason))

        async def mark_unreachable(conn: AsyncConnection) -> None:
            if unreachable and item.citizen_id is not None and self.on_unreachable is not None:
                await self.on_unreachable(conn, item.citizen_id)

        await self._record(
            item,
            OutboxState.FAILED,
            error=reason,
            result=made,
            unreachable=unreachable,
            also=mark_unreachable,
        )

    async def _record(
        self,
        item: OutboxItem,
        state: OutboxState,
        *,
        result: dict[str, Any] | None = None,
        error: str | None = None,
        unreachable: bool = False,
        also: Work | None = None,
    ) -> None:
        """Write the row's final state and run the features' hooks in that transaction.

        A hook that raises rolls the transaction back; the outcome is then written alone,
        marked as owing its hooks (logged now, run again by :meth:`recover`). A row that
        can't be written whole is written bare: its state, and an error naming the loss.
        """
        error = redact(error) if error else None
        if unreachable:
            item.progress["unreachable"] = True
        item.progress.pop(HOOKS_PENDING, None)
        item.state, item.error = state, error
        if result is not None:
            item.result = result
        hooks = self.hooks.get(item.ref_type or "", [])

        async def outcome(conn: AsyncConnection) -> None:
            if also is not None:
                await also(conn)
            await store.finish(
                conn, item.id, state, result=result, error=error, progress=item.progress
            )

        async def outcome_and_hooks(conn: AsyncConnection) -> None:
            await outcome(conn)
            await run_hooks(conn, item, hooks)

        try:
            await self._write(item, outcome_and_hooks)
        except HookFailed as exc:
            log.error(
                "outbox %s: %s recorded, but its hook %s failed; it runs again at the next start",
                item.id,
                state.value,
                exc.hook,
                exc_info=exc.__cause__,
            )
            item.progress[HOOKS_PENDING] = True
            await self._write(item, outcome)
        except Exception as exc:
            # Not the database's mood but the row itself (a result it can't store): keep
            # the state, which is what matters, and say what was lost.
            log.exception("outbox %s: %s not recordable in full", item.id, state.value)
            bare = f"{error or state.value}; details not recorded: {type(exc).__name__}"
            await self._write(
                item, lambda conn: store.finish(conn, item.id, state, error=bare, progress={})
            )

    async def _run_owed_hooks(self, item: OutboxItem) -> None:
        """Hooks that failed when the row's outcome was recorded: run them now, once."""
        hooks = self.hooks.get(item.ref_type or "", [])
        item.progress.pop(HOOKS_PENDING, None)

        async def work(conn: AsyncConnection) -> None:
            await run_hooks(conn, item, hooks)
            await store.save_progress(conn, item.id, item.progress)

        try:
            await self._write(item, work)
        except HookFailed as exc:
            item.progress[HOOKS_PENDING] = True
            log.error(
                "outbox %s: its hook %s failed again; it runs again at the next start",
                item.id,
                exc.hook,
                exc_info=exc.__cause__,
            )
        else:
            log.info("outbox %s: hooks owed since an earlier failure have run", item.id)

    async def _write(self, item: OutboxItem, work: Work) -> None:
        """Run ``work`` in a write transaction, again while the database fails transiently.

        What is written here is what the platform answered: given up, the row would stay
        ``sending`` until a restart, which could only call it ``unknown``.
        """
        pause = RECORD_RETRY_FIRST
        while True:
            try:
                await self.journal.run(work)
                return
            except Exception as exc:
                if not transient(exc):
                    raise
                log.warning(
                    "outbox %s: database error while recording (%s); again in %.2f s",
                    item.id,
                    type(exc).__name__,
                    pause,
                )
            await asyncio.sleep(pause)
            pause = min(pause * 2, RECORD_RETRY_MAX)


class HookFailed(Exception):
    """A feature's hook raised while a row's outcome was being recorded."""

    def __init__(self, hook: str) -> None:
        super().__init__(hook)
        self.hook = hook


async def run_hooks(conn: AsyncConnection, item: OutboxItem, hooks: Sequence[Hook]) -> None:
    for hook in hooks:
        try:
            await hook(conn, item)
        except Exception as exc:
            raise HookFailed(getattr(hook, "__qualname__", repr(hook))) from exc


def group_key(item: OutboxItem) -> tuple[Any, ...]:
    """Rows with the same key are the same send to other people: one call may carry them."""
    payload = json.dumps(item.payload, sort_keys=True, ensure_ascii=False)
    ref = (item.ref_type, item.ref_id)
    return (item.platform, item.action, item.lane, item.priority, ref, payload)


def cast_batch(sender: Sender) -> BatchSender:
    """The sender as a batch sender: only called for groups, which only batch senders get."""
    if not hasattr(sender, "deliver_batch"):
        raise TypeError(f"{type(sender).__name__} declares batch_limit but no deliver_batch")
    return sender  # type: ignore[return-value]


def transient(exc: BaseException) -> bool:
    """A database error that may pass: a lost connection, a locked or failing disk."""
    if isinstance(exc, DBAPIError):
        return exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError)
    return isinstance(exc, OSError)
