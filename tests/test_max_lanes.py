"""MAX in the outbox's lanes: an answer to a citizen does not wait behind a MAX broadcast,
and every call of a broadcast row (its upload, its send, the sends again while MAX still
processes the upload) is paced in the broadcast lane, never as an interactive one."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from bots.max.client import MaxHttp
from bots.max.sender import MaxSender
from config import Settings
from shared.domain import MediaKind, OutboxAction, OutboxState
from shared.outbox import store
from shared.outbox.bulk import enqueue_many
from shared.outbox.dispatcher import Dispatcher
from shared.outbox.lanes import Lane
from shared.outbox.model import OutboxMessage
from shared.outbox.payload import message
from shared.outbox.ratelimit import RateKey, RateLimiter
from shared.richtext import from_plain
from shared.storage import media
from shared.storage.engine import Database
from shared.storage.media import MediaOwner, NewFile
from simulators.max import FakeMax
from simulators.telegram import make_png
from simulators.waiting import wait
from tests.harness import settings_for, settle
from tests.test_outbox_lanes import NOTICE, all_final, notices

CITIZEN = 515151


class RecordingLimiter(RateLimiter):
    """The real limiter, noting the lane each acquisition is paced in."""

    def __init__(self) -> None:
        super().__init__()
        self.lanes: list[Lane] = []

    async def acquire(
        self, keys: Sequence[RateKey], cost: int = 1, lane: Lane = Lane.INTERACTIVE
    ) -> float:
        self.lanes.append(lane)
        return await super().acquire(keys, cost, lane)


def max_settings(tmp_path: Path, fake: FakeMax) -> Settings:
    return settings_for(
        tmp_path,
        overrides={
            "max": {
                "token": fake.token,
                "api_base": fake.base_url,
                "channel_id": fake.channel_id,
                "request_timeout": 3,
            },
        },
    )


@contextlib.asynccontextmanager
async def max_outbox(
    db: Database, settings: Settings, limiter: RateLimiter | None = None
) -> AsyncIterator[Dispatcher]:
    """A dispatcher with the real MAX sender over HTTP, running until the block ends."""
    http = MaxHttp(settings.max)
    sender = MaxSender(http, db, settings.outbox, settings.max.channel_id)
    dispatcher = Dispatcher(db, {"max": sender}, settings.outbox, limiter=limiter)
    await dispatcher.recover()
    task = asyncio.create_task(dispatcher.run())
    try:
        yield dispatcher
    finally:
        await dispatcher.stop(2)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await http.close()


def sent_to(fake: FakeMax) -> list[int]:
    """Users of the bot's accepted ``POST /messages`` calls, in order."""
    return [
        int(c["query"]["user_id"])
        for c in fake.calls("sendMessage")
        if c["status"] == 200 and "user_id" in c["query"]
    ]


async def test_an_answer_goes_before_a_max_broadcast(
    tmp_path: Path, sqlite_db: Database, max: FakeMax
) -> None:
    # Limits on (30 requests/s for the bot): the broadcast of 90 takes about 3 s.
    users = list(range(800000, 800090))
    for user in [*users, CITIZEN]:
        max.add_user(user, "Житель")
    await enqueue_many(sqlite_db, notices("max", users, Lane.BROADCAST))
    settings = max_settings(tmp_path, max)
    async with max_outbox(sqlite_db, settings) as dispatcher:
        await wait(lambda: len(sent_to(max)) >= 20)  # the broadcast is under way
        before = len(sent_to(max))
        async with sqlite_db.write() as conn:
            answer = await store.enqueue(
                conn,
                OutboxMessage("max", OutboxAction.SEND, str(CITIZEN), message(from_plain("Ответ"))),
            )
        dispatcher.wake()
        [item] = await settle(sqlite_db, [answer])
        assert item.state is OutboxState.SENT, item.error
        order = sent_to(max)
        # Only the broadcast's sends already under way may go before the answer.
        assert order.index(CITIZEN) - before <= dispatcher.settings.workers
        assert len(order) < len(users)  # ... while most of the broadcast still waits
        counts = await wait(lambda: all_final(sqlite_db), timeout=30)
    assert counts.total(OutboxState.SENT) == len(users)
    assert sorted(set(sent_to(max)) - {CITIZEN}) == users  # each once
    assert len(sent_to(max)) == len(users) + 1
    assert max.stats().get("rate_limited", 0) == 0


async def test_a_broadcast_sent_again_while_its_photo_is_not_ready_stays_in_its_lane(
    tmp_path: Path, sqlite_db: Database, max: FakeMax
) -> None:
    max.add_user(CITIZEN, "Анна")
    max.not_ready_attempts = 2  # two sends refused as attachment.not.ready, the third goes
    async with sqlite_db.write() as conn:
        photo = NewFile(MediaKind.PHOTO, "notice.png", "image/png", make_png(8, 8))
        [media_id] = await media.add_all(conn, MediaOwner.ALERT, 1, [photo])
        await store.enqueue(
            conn,
            OutboxMessage(
                "max",
                OutboxAction.SEND,
                str(CITIZEN),
                message(from_plain("Оповещение"), media=[media_id]),
                ref_type=NOTICE,
                ref_id=1,
                lane=Lane.BROADCAST,
            ),
        )
    limiter = RecordingLimiter()
    settings = max_settings(tmp_path, max)
    async with max_outbox(sqlite_db, settings, limiter):
        counts = await wait(lambda: all_final(sqlite_db), timeout=30)
    assert counts.total(OutboxState.SENT) == 1
    refused = [c for c in max.calls("sendMessage") if c["status"] != 200]
    assert len(refused) == 2, refused
    # The upload, the first send and the two sends again: all paced as the broadcast.
    assert limiter.lanes == [Lane.BROADCAST] * 4
