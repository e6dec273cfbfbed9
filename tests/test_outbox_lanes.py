"""Outbox lanes, bulk enqueue and groups: a broadcast never holds up an answer to a person,
urgent goes before the rest, 100,000 rows go in without stalling other writers, and rows
sent to many people in one call keep one outcome each."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from shared.domain import OutboxAction, OutboxState
from shared.outbox import refs, store
from shared.outbox.bulk import enqueue_many
from shared.outbox.lanes import Lane
from shared.outbox.model import OutboxMessage
from shared.outbox.payload import message
from shared.richtext import from_plain
from shared.storage.engine import Database
from shared.storage.schema import outbox
from simulators.telegram import FakeTelegram
from simulators.vk import FakeVK
from simulators.waiting import wait
from tests.harness import running_outbox, settings_for, settle

CITIZEN = 424242
NOTICE = "test-notice"  # ref_type of the broadcast rows these tests enqueue


def notices(
    platform: str, chats: Sequence[int], lane: Lane, ref_id: int = 1, text: str = "Оповещение"
) -> list[OutboxMessage]:
    payload = message(from_plain(text))
    return [
        OutboxMessage(
            platform,
            OutboxAction.SEND,
            str(chat),
            payload,
            ref_type=NOTICE,
            ref_id=ref_id,
            lane=lane,
            dedupe_key=f"{NOTICE}:{ref_id}:{platform}:{chat}",
        )
        for chat in chats
    ]


def sent_to(tg: FakeTelegram) -> list[int]:
    """Chats of the bot's sendMessage calls that the fake accepted, in order."""
    return [int(r["params"]["chat_id"]) for r in tg.requests("sendMessage") if r["ok"]]


async def count(db: Database, ref_id: int = 1) -> refs.RefCounts:
    async with db.read() as conn:
        return await refs.count_by_ref(conn, NOTICE, ref_id)


async def all_final(db: Database, ref_id: int = 1) -> refs.RefCounts | None:
    counts = await count(db, ref_id)
    waiting = counts.total(OutboxState.PENDING) + counts.total(OutboxState.SENDING)
    return None if waiting else counts


CLAIM_SLACK = 4  # broadcast sends that may start between the answer's enqueue and its claim


async def test_an_answer_does_not_wait_behind_a_broadcast(
    tmp_path: Path, sqlite_db: Database, tg: FakeTelegram
) -> None:
    # Limits on (30/s for the bot): the broadcast of 90 takes about 3 s at the bot's limit.
    chats = list(range(700000, 700090))
    for chat in chats:
        tg.add_user(chat, "Подписчик")
    tg.add_user(CITIZEN, "Анна")
    await enqueue_many(sqlite_db, notices("telegram", chats, Lane.BROADCAST))
    settings = settings_for(tmp_path, tg=tg)
    async with running_outbox(sqlite_db, settings, ["telegram"]) as dispatcher:
        await wait(lambda: len(sent_to(tg)) >= 20)  # the broadcast is under way
        async with sqlite_db.write() as conn:
            answer = await store.enqueue(
                conn,
                OutboxMessage(
                    "telegram", OutboxAction.SEND, str(CITIZEN), message(from_plain("Ответ"))
                ),
            )
        before = len(sent_to(tg))  # counted once the answer is queued: the broadcast goes on
        dispatcher.wake()
        [item] = await settle(sqlite_db, [answer])
        assert item.state is OutboxState.SENT
        order = sent_to(tg)
        # Only the broadcast's sends already under way may go before the answer: those
        # holding workers, and the few that start while the answer is being claimed (one
        # every 33 ms at 30/s; on a loaded machine the claim may take a few of them).
        assert order.index(CITIZEN) - before <= dispatcher.settings.workers + CLAIM_SLACK
        assert len(order) < len(chats)  # ... while most of the broadcast still waits
        counts = await wait(lambda: all_final(sqlite_db), timeout=30)
    assert counts.total(OutboxState.SENT) == len(chats)
    assert sorted(set(sent_to(tg)) - {CITIZEN}) == chats  # each once
    assert len(sent_to(tg)) == len(chats) + 1
    assert tg.stats()["too_many_requests"] == 0


async def test_interactive_then_urgent_then_broadcast(
    tmp_path: Path, sqlite_db: Database, tg: FakeTelegram
) -> None:
    broadcast = list(range(710000, 710020))
    urgent = list(range(720000, 720020))
    for chat in [*broadcast, *urgent, CITIZEN]:
        tg.add_user(chat, "Житель")
    # Queued worst first: the order of sending must come from the lanes, not the ids.
    await enqueue_many(sqlite_db, notices("telegram", broadcast, Lane.BROADCAST, ref_id=1))
    await enqueue_many(sqlite_db, notices("telegram", urgent, Lane.URGENT, ref_id=2))
    answer = message(from_plain("Ответ"))
    async with sqlite_db.write() as conn:
        await store.enqueue(
            conn, OutboxMessage("telegram", OutboxAction.SEND, str(CITIZEN), answer)
        )
    settings = settings_for(tmp_path, tg=tg)
    async with running_outbox(sqlite_db, settings, ["telegram"]) as dispatcher:
        await wait(lambda: all_final(sqlite_db, 1), timeout=30)
        await wait(lambda: all_final(sqlite_db, 2), timeout=30)
        workers = dispatcher.broadcast_workers
    order = sent_to(tg)
    assert len(order) == 41
    assert CITIZEN in order[: settings.outbox.workers]
    # A broadcast row is claimed only once no urgent row waits; urgent rows still in
    # flight then may finish after it.
    first_broadcast = min(order.index(chat) for chat in broadcast)
    assert first_broadcast >= len(urgent) - workers
    assert max(order.index(chat) for chat in urgent) < first_broadcast + workers


async def test_enqueue_many_in_bounded_transactions_while_others_write(db: Database) -> None:
    events: list[str] = []
    done = False

    async def each(_: Any, batch: Sequence[OutboxMessage]) -> None:
        events.append(f"batch:{len(batch)}")

    async def other_writer() -> int:
        """Another feature's small writes (intake): each waits for one batch at most."""
        writes = 0
        while not done:
            async with db.write() as conn:
                await store.enqueue(
                    conn,
                    OutboxMessage("telegram", OutboxAction.SEND, "1", message(from_plain("x"))),
                )
            writes += 1
            events.append("write")
        return writes

    writer = asyncio.create_task(other_writer())
    await wait(lambda: "write" in events)  # the writer is writing before the enqueue starts
    chats = range(1, 10_001)
    added = await enqueue_many(
        db, iter(notices("vk", chats, Lane.BROADCAST)), batch=1000, each=each
    )
    done = True
    await writer
    assert added == 10_000
    batches = [i for i, e in enumerate(events) if e.startswith("batch")]
    assert [events[i] for i in batches] == ["batch:1000"] * 10
    # The other writer got the database between every two batches.
    for a, b in itertools.pairwise(batches):
        assert "write" in events[a + 1 : b]

    # Again: every row has its dedupe key already, nothing is added twice.
    assert await enqueue_many(db, notices("vk", chats, Lane.BROADCAST)) == 0
    counts = await count(db)
    assert counts.total() == 10_000
    assert counts.total(OutboxState.PENDING, "vk") == 10_000
    async with db.read() as conn:
        lowest = select(func.min(outbox.c.id)).where(outbox.c.ref_type == NOTICE)
        first = await store.get(conn, int((await conn.execute(lowest)).scalar_one()))
    assert first is not None
    assert first.lane is Lane.BROADCAST
    assert first.priority == 0

    async with db.write() as conn:
        assert await refs.cancel_by_ref(conn, NOTICE, 1) == 10_000
    counts = await count(db)
    assert counts.total(OutboxState.CANCELLED) == 10_000
    assert counts.total(OutboxState.PENDING) == 0


async def test_a_group_of_rows_goes_in_one_call_with_one_outcome_each(
    tmp_path: Path, sqlite_db: Database, vk: FakeVK
) -> None:
    peers = list(range(5000, 5250))
    for peer in peers:
        vk.add_user(peer, "Иван", "Петров")
    vk.block_messages(peers[7])  # blocked the community: its row alone fails
    await enqueue_many(sqlite_db, notices("vk", peers, Lane.BROADCAST))
    settings = settings_for(tmp_path, vk=vk)
    async with running_outbox(sqlite_db, settings, ["vk"]):
        counts = await wait(lambda: all_final(sqlite_db), timeout=30)
    calls = [c for c in vk.calls("messages.send")]
    sizes = sorted(len(str(c["params"]["peer_ids"]).split(",")) for c in calls)
    assert sizes == [50, 100, 100]  # 250 people in three calls, 100 at most each
    assert counts.total(OutboxState.SENT) == 249
    assert counts.total(OutboxState.FAILED) == 1
    assert counts.unreachable["vk"] == 1
    async with sqlite_db.read() as conn:
        rows = await store.by_ref(conn, NOTICE, 1)
    assert {r.destination for r in rows} == {str(p) for p in peers}
    assert all("_inflight" not in r.progress for r in rows)
    blocked = next(r for r in rows if r.destination == str(peers[7]))
    assert blocked.state is OutboxState.FAILED
    assert blocked.progress.get("unreachable")
